"""Hand-made seed names per origin, their frequency skew and their native structure.

Every list is a made-up selection of common names, most common first; draws follow a Zipf-like
skew so that common names are common. No combination describes a real person. The spellings
here are the *canonical* romanisation; ``variants`` derives the other spellings by rule.

Structures (``Origin.structure``):
- ``chain``: given + father + grandfather, no family name (Afghan Dari, Eritrean, Sudanese);
  ``Origin.family`` may still hold tribal names that some identities carry (Pashto -zai/-khel).
- ``chain_family``: given + father + grandfather + family or nisba (Syrian, Iraqi Kurdish).
- ``given_family``: given + family (Maghreb, Iranian, Pakistani, Albanian, Turkish, Romanian,
  French); the father's given name is still known as filiation.
- ``vietnamese``: family + middle + given, middle Van (male) or Thi (female) mostly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Origin:
    """Names of one origin, most common first, its structure and share of the world."""

    code: str
    share: float
    structure: str
    script: str  # "latin", "arabic" or "geez": the native script of the names
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    family_rate: float = 1.0  # share of identities carrying a family or tribal name
    titles: tuple[str, ...] = ()


ORIGINS: tuple[Origin, ...] = (
    Origin(
        "AF",
        0.14,
        "chain",
        "arabic",
        _split("""Mohammad, Ahmad, Abdullah, Gholam Reza, Mohammad Nabi, Ali, Hamid, Rahmatullah,
        Najibullah, Abdulrahman, Abdulrahim, Hassan, Hussein, Sayed Ahmad, Zabihullah, Farid,
        Jawad, Nasir, Wahid, Khalid, Bilal, Sharif, Rashid, Omar, Yousuf, Karim, Habibullah,
        Samiullah, Naqibullah, Mirwais, Shafiq, Jamshid"""),
        _split("""Fatima, Maryam, Zahra, Khadija, Shabnam, Laila, Nargis, Farzana, Parwana, Sima,
        Marzia, Fereshta, Zainab, Gulalai, Mahbooba, Nazia, Roya, Soraya"""),
        _split("""Noorzai, Ahmadzai, Popalzai, Barakzai, Achakzai, Mohmand, Safi, Alokozai,
        Sultanzai, Yousufzai, Wardak, Sahak, Kakar, Mangal, Zazai, Shinwari"""),
        family_rate=0.35,
        titles=("Haji", "Sayed", "Mullah", "Hafiz", "Agha"),
    ),
    Origin(
        "SY",
        0.10,
        "chain_family",
        "arabic",
        _split("""Mohammad, Ahmad, Mahmoud, Khalid, Omar, Ali, Hassan, Hussein, Ibrahim, Youssef,
        Mustafa, Abdulrahman, Abdullah, Yaser, Bilal, Salah, Saleh, Karim, Rami, Fadi, Ammar,
        Walid, Samer, Tarek, Anas, Hamza, Khaled, Nour Eddine, Majd, Ziad, Firas"""),
        _split("""Fatima, Aisha, Maryam, Rasha, Hala, Rana, Lina, Nour, Zainab, Amal, Hiba,
        Sara, Reem, Dima, Yasmin, Huda, Ghada, Samira, Layla"""),
        _split("""Al-Hassan, Al-Ahmad, Al-Ali, Al-Khalil, Al-Hussein, Al-Mohammad, Al-Omar,
        Al-Ibrahim, Haddad, Al-Halabi, Al-Masri, Darwish, Kabbani, Al-Saleh, Al-Shami, Hamdan,
        Al-Khatib, Al-Najjar, Suleiman, Al-Zoubi, Qasim, Al-Abdullah"""),
        titles=("Haji", "Sheikh"),
    ),
    Origin(
        "IQ-Kurdish",
        0.08,
        "chain_family",
        "arabic",
        _split("""Mohammad, Ahmad, Ali, Omar, Khalil, Mustafa, Hassan, Karwan, Rebwar, Shwan,
        Hemin, Dilshad, Azad, Sherzad, Barzan, Hoshyar, Saman, Kawa, Aram, Zana, Ibrahim, Jamal,
        Nawzad, Sirwan"""),
        _split("""Fatima, Shirin, Nasrin, Bahar, Rozhan, Zhiyan, Avin, Helin, Narin, Berivan,
        Dilan, Gulistan, Shilan, Kazhal"""),
        _split("""Barzani, Talabani, Zebari, Hawrami, Jaff, Dosky, Mizuri, Harki, Surchi,
        Baban, Shwani, Pishdari, Hamawandi, Zangana"""),
        titles=("Haji", "Mam", "Kak"),
    ),
    Origin(
        "IR",
        0.06,
        "given_family",
        "arabic",
        _split("""Mohammad, Ali, Hossein, Reza, Mehdi, Amir, Hamid, Saeed, Mohammad Reza,
        Gholam Reza, Ahmad, Majid, Behzad, Farhad, Dariush, Kourosh, Babak, Arash, Omid, Navid,
        Hassan, Javad, Morteza, Mojtaba, Ehsan"""),
        _split("""Fatemeh, Zahra, Maryam, Masoumeh, Leila, Sara, Narges, Shirin, Parisa, Mina,
        Niloufar, Azadeh, Elham, Somayeh, Mahsa, Golnaz"""),
        _split("""Rezaei, Mohammadi, Hosseini, Ahmadi, Karimi, Moradi, Jafari, Rahimi, Heidari,
        Hashemi, Ghasemi, Sadeghi, Akbari, Mousavi, Ebrahimi, Salehi, Kazemi, Nouri, Rostami,
        Tehrani, Shirazi"""),
        titles=("Sayed", "Haj", "Agha"),
    ),
    Origin(
        "ER",
        0.10,
        "chain",
        "geez",
        _split("""Tesfaye, Yohannes, Mehari, Berhane, Kidane, Dawit, Semere, Habte, Tekle,
        Gebremedhin, Haile, Amanuel, Filmon, Yonas, Samuel, Robel, Biniam, Efrem, Mussie,
        Daniel, Henok, Goitom, Tesfamariam, Weldu, Abraham, Yemane, Michael, Kibrom"""),
        _split("""Selam, Helen, Senait, Merhawit, Saba, Rahel, Luwam, Ruta, Yordanos, Winta,
        Feven, Mebrat, Tsega, Hiwet, Abeba, Lidya"""),
        (),
        family_rate=0.0,
    ),
    Origin(
        "SD",
        0.08,
        "chain",
        "arabic",
        _split("""Mohammad, Ahmad, Osman, Abdullah, Ibrahim, Hassan, Hussein, Adam, Ismail,
        Abdulrahman, Abdelrahim, Yousif, Mustafa, Omar, Babiker, Khalid, Elsadig, Mubarak,
        Siddig, Hamid, Musa, Eissa, Salah, Tayeb, Bashir"""),
        _split("""Fatima, Amna, Aisha, Khadija, Hawa, Mariam, Asma, Safa, Sara, Nafisa, Howida,
        Ikhlas, Samia, Awadia"""),
        (),
        family_rate=0.0,
    ),
    Origin(
        "Maghreb",
        0.12,
        "given_family",
        "arabic",
        _split("""Mohamed, Ahmed, Youssef, Karim, Rachid, Mustapha, Abdelkader, Said, Omar,
        Hicham, Nabil, Samir, Khalid, Driss, Abdelaziz, Mehdi, Yassine, Kheireddine, Nourredine,
        Sofiane, Bilal, Hamza, Amine, Abderrahmane, Brahim, Djamel, Walid, Hassan"""),
        _split("""Fatima, Khadija, Aicha, Naima, Malika, Samira, Nadia, Karima, Amina, Souad,
        Leila, Zineb, Meriem, Houda, Yamina, Rachida, Djamila"""),
        _split("""Benali, Bennani, El Amrani, Alaoui, Benmoussa, Bouzid, Belkacem, Haddad,
        El Idrissi, Benyahia, Mansouri, Cherif, Boudiaf, Hamidi, Saidi, Brahimi, Rahmani,
        Ouali, Zerrouki, El Fassi, Amrani, Tahiri, Djebbar, Ben Salah"""),
        titles=("Hadj", "Sidi"),
    ),
    Origin(
        "PK",
        0.07,
        "given_family",
        "arabic",
        _split("""Muhammad, Ahmed, Ali, Imran, Asif, Usman, Bilal, Faisal, Kamran, Tariq,
        Shahid, Zubair, Waqas, Adnan, Naveed, Irfan, Sajid, Abdul Rahman, Abdul Rahim, Noman,
        Shahzad, Haroon, Javed, Khurram"""),
        _split("""Ayesha, Fatima, Sana, Saima, Nazia, Rabia, Shazia, Amna, Hina, Bushra, Uzma,
        Samina, Farah, Sadia"""),
        _split("""Khan, Malik, Butt, Chaudhry, Qureshi, Sheikh, Awan, Raja, Mirza, Rana,
        Siddiqui, Hussain, Iqbal, Akhtar, Bhatti, Gill, Javed, Abbasi"""),
        titles=("Haji", "Syed", "Chaudhry", "Hafiz"),
    ),
    Origin(
        "AL",
        0.06,
        "given_family",
        "latin",
        _split("""Arben, Gjergj, Ilir, Artan, Besnik, Dritan, Fatmir, Klodian, Erion, Luan,
        Altin, Edmond, Bledar, Gentian, Sokol, Agron, Ermal, Valon, Flamur, Mërgim"""),
        _split("""Elona, Anila, Mimoza, Blerina, Drita, Fatjona, Arta, Teuta, Valbona, Jonida,
        Entela, Marsela, Albana, Lumturije, Dhurata"""),
        _split("""Hoxha, Shehu, Dervishi, Leka, Gashi, Krasniqi, Berisha, Kola, Marku, Hysa,
        Çela, Duka, Xhafa, Basha, Mema, Prifti, Rama, Lleshi, Bërdufi, Gjoka"""),
    ),
    Origin(
        "VN",
        0.05,
        "vietnamese",
        "latin",
        _split("""Minh, Hùng, Tuấn, Dũng, Long, Nam, Hải, Thành, Quang, Đức, Sơn, Phong, Hiếu,
        Cường, Vinh, Khánh, Trung, Bình, Tiến, Huy"""),
        _split("""Lan, Hương, Linh, Mai, Hoa, Thu, Hằng, Trang, Ngọc, Phương, Thảo, Anh, Hạnh,
        Nga, Yến, Dung"""),
        _split("""Nguyễn, Trần, Lê, Phạm, Hoàng, Phan, Vũ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý"""),
    ),
    Origin(
        "TR",
        0.05,
        "given_family",
        "latin",
        _split("""Mehmet, Mustafa, Ahmet, Ali, Hüseyin, Hasan, İbrahim, İsmail, Osman, Yusuf,
        Murat, Ömer, Ramazan, Halil, Süleyman, Abdullah, Mahmut, Recep, Emre, Serkan"""),
        _split("""Fatma, Ayşe, Emine, Hatice, Zeynep, Elif, Meryem, Sultan, Hülya, Zehra,
        Esra, Özlem"""),
        _split("""Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir,
        Arslan, Doğan, Kılıç, Aslan, Çetin, Kara, Koç, Kurt"""),
        titles=("Haci",),
    ),
    Origin(
        "RO",
        0.04,
        "given_family",
        "latin",
        _split("""Ion, Gheorghe, Vasile, Constantin, Nicolae, Marian, Mihai, Florin, Andrei,
        Alexandru, Adrian, Daniel, Ionuț, Cristian, Ștefan, Bogdan, Cătălin, Dumitru"""),
        _split("""Maria, Elena, Ioana, Andreea, Mihaela, Ana, Gabriela, Alexandra, Florentina,
        Cristina, Daniela, Georgiana"""),
        _split("""Popa, Popescu, Pop, Radu, Dumitru, Stan, Stoica, Gheorghe, Munteanu, Matei,
        Constantin, Ionescu, Rusu, Mihai, Ciobanu, Lupu, Marin, Tudor, Năstase, Țurcanu"""),
    ),
    Origin(
        "FR",
        0.05,
        "given_family",
        "latin",
        _split("""Jean, Pierre, Michel, Nicolas, Thomas, Julien, Laurent, Stéphane, Philippe,
        Christophe, Sébastien, Olivier, Frédéric, David, Éric, Jean-Pierre, Jean-Marc,
        François"""),
        _split("""Marie, Nathalie, Isabelle, Sylvie, Catherine, Sandrine, Céline, Stéphanie,
        Valérie, Aurélie, Sophie, Julie, Marie-Claire, Hélène"""),
        _split("""Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau,
        Simon, Laurent, Lefèvre, Michel, Garcia, Da Silva, Rousseau, Fontaine, De La Fontaine,
        Lefebvre"""),
    ),
)

ORIGIN_BY_CODE = {origin.code: origin for origin in ORIGINS}

# Vietnamese middle names: Van and Thi dominate.
VN_MIDDLE_MALE = ("Van", "Van", "Van", "Duc", "Minh", "Quoc", "Huu")
VN_MIDDLE_FEMALE = ("Thi", "Thi", "Thi", "Ngoc", "Thu", "Kim")


@lru_cache(maxsize=256)
def zipf_weights(count: int, exponent: float = 1.0) -> npt.NDArray[np.float64]:
    """Probabilities of ranks 1..count proportional to 1 / rank**exponent."""
    weights = 1.0 / np.arange(1, count + 1, dtype=np.float64) ** exponent
    normalised: npt.NDArray[np.float64] = weights / weights.sum()
    return normalised


@lru_cache(maxsize=256)
def _cumulative(count: int) -> npt.NDArray[np.float64]:
    return np.cumsum(zipf_weights(count))


def draw_name(
    rng: np.random.Generator, names: tuple[str, ...], avoid: frozenset[str] = frozenset()
) -> str:
    """One name from ``names`` with Zipf skew, other than those in ``avoid`` when possible."""
    cumulative = _cumulative(len(names))
    for _ in range(8):
        rank = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(names) - 1)
        if names[rank] not in avoid:
            return names[rank]
    return names[rank]
