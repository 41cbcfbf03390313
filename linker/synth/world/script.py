"""Native-script forms of some canonical name tokens (a small hand table).

``native_name(tokens)`` writes a name in Arabic or Ge'ez script when every token is in the
table, else returns ``None``. The table is deliberately small: real records hold native script
only now and then, and the matcher must transliterate what it meets.
"""

from __future__ import annotations

ARABIC: dict[str, str] = {
    "Mohammad": "محمد",
    "Muhammad": "محمد",
    "Mohamed": "محمد",
    "Ahmad": "أحمد",
    "Ahmed": "أحمد",
    "Ali": "علي",
    "Hassan": "حسن",
    "Hussein": "حسين",
    "Omar": "عمر",
    "Khalil": "خليل",
    "Ibrahim": "إبراهيم",
    "Youssef": "يوسف",
    "Yousuf": "یوسف",
    "Mustafa": "مصطفى",
    "Abdulrahman": "عبدالرحمن",
    "Abdulrahim": "عبدالرحيم",
    "Abdullah": "عبدالله",
    "Karim": "كريم",
    "Salah": "صلاح",
    "Saleh": "صالح",
    "Khalid": "خالد",
    "Mahmoud": "محمود",
    "Bilal": "بلال",
    "Hamza": "حمزة",
    "Hamid": "حميد",
    "Osman": "عثمان",
    "Adam": "آدم",
    "Ismail": "إسماعيل",
    "Musa": "موسى",
    "Jamal": "جمال",
    "Rashid": "رشيد",
    "Nasir": "ناصر",
    "Farid": "فريد",
    "Jawad": "جواد",
    "Wahid": "وحید",
    "Reza": "رضا",
    "Mehdi": "مهدی",
    "Amir": "امیر",
    "Saeed": "سعید",
    "Majid": "مجید",
    "Farhad": "فرهاد",
    "Omid": "امید",
    "Navid": "نوید",
    "Fatima": "فاطمة",
    "Aisha": "عائشة",
    "Maryam": "مريم",
    "Zainab": "زينب",
    "Zahra": "زهرا",
    "Khadija": "خديجة",
    "Nour": "نور",
    "Amna": "آمنة",
    "Sara": "سارة",
    "Laila": "لیلا",
    "Al-Hassan": "الحسن",
    "Al-Ahmad": "الأحمد",
    "Al-Ali": "العلي",
    "Al-Khalil": "الخليل",
    "Al-Hussein": "الحسين",
    "Al-Omar": "العمر",
    "Al-Ibrahim": "الإبراهيم",
    "Al-Mohammad": "المحمد",
    "Haddad": "حداد",
    "Darwish": "درويش",
    "Al-Saleh": "الصالح",
    "Rezaei": "رضایی",
    "Mohammadi": "محمدی",
    "Hosseini": "حسینی",
    "Ahmadi": "احمدی",
    "Karimi": "کریمی",
    "Rahimi": "رحیمی",
    "Noorzai": "نورزی",
    "Ahmadzai": "احمدزی",
    "Barzani": "بارزانی",
    "Zebari": "زێباری",
}

GEEZ: dict[str, str] = {
    "Tesfaye": "ተስፋየ",
    "Yohannes": "ዮሃንስ",
    "Mehari": "መሓሪ",
    "Berhane": "ብርሃነ",
    "Kidane": "ኪዳነ",
    "Dawit": "ዳዊት",
    "Semere": "ሰመረ",
    "Habte": "ሃብተ",
    "Tekle": "ተኽለ",
    "Gebremedhin": "ገብረመድህን",
    "Haile": "ሃይለ",
    "Amanuel": "ኣማኑኤል",
    "Filmon": "ፊልሞን",
    "Yonas": "ዮናስ",
    "Samuel": "ሳሙኤል",
    "Robel": "ሮቤል",
    "Biniam": "ቢንያም",
    "Efrem": "ኤፍሬም",
    "Mussie": "ሙሴ",
    "Daniel": "ዳንኤል",
    "Goitom": "ጎይቶም",
    "Tesfamariam": "ተስፋማርያም",
    "Weldu": "ወልዱ",
    "Abraham": "ኣብርሃም",
    "Yemane": "የማነ",
    "Kibrom": "ክብሮም",
    "Selam": "ሰላም",
    "Helen": "ሄለን",
    "Senait": "ሰናይት",
    "Saba": "ሳባ",
    "Rahel": "ራሄል",
    "Luwam": "ሉዋም",
    "Ruta": "ሩታ",
    "Winta": "ዊንታ",
    "Feven": "ፌቨን",
    "Tsega": "ፀጋ",
}

TABLES = {"arabic": ARABIC, "geez": GEEZ}


def native_name(tokens: list[str], script: str) -> str | None:
    """``tokens`` written in ``script`` ("arabic" or "geez"), or ``None`` when one is unknown."""
    table = TABLES.get(script)
    if table is None or not tokens:
        return None
    parts = [table.get(part) for token in tokens for part in token.split()]
    if any(part is None for part in parts):
        return None
    return " ".join(part for part in parts if part is not None)
