"""Seeded synthetic person records with duplicates and a known truth.

``generate_people(n_records, seed)`` returns ``(records, truth)``. About
``n_records * (1 - duplicate_rate)`` entities are drawn; the remaining records are duplicates of
them (1 to 3 per duplicated entity, mostly 1) carrying the kind of damage found in real
registers: typos in names, swapped given name and surname, date-of-birth errors, phone numbers
written in different ways, abbreviated street types, people who moved, and missing values.

Names are made-up combinations of common given names and surnames of several origins, drawn
from built-in lists with a Zipf-like skew so that common names are common and many entities
share a name. Addresses, cities and postcodes are French-style; phones are French numbers.
Nothing here describes a real person.

Everything is vectorised with numpy (per-string Python work only for typos and a few rare
edits), so a million records take a few seconds. The same ``(n_records, seed, duplicate_rate)``
always gives identical frames, and identical CSV bytes.

Command line::

    python -m linker.synth.people --records 100000 --seed 42 --out people.csv --truth truth.csv
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]
FloatArray = npt.NDArray[np.float64]

RECORD_COLUMNS = (
    "record_id",
    "given_name",
    "surname",
    "date_of_birth",
    "sex",
    "address",
    "city",
    "postcode",
    "phone",
    "email",
)
TRUTH_COLUMNS = ("record_id", "entity_id")

# How many duplicates a duplicated entity gets (1, 2 or 3), and how often.
DUPLICATE_COUNT_WEIGHTS = (0.62, 0.26, 0.12)

# Share of records (originals and duplicates alike) with the field left empty.
MISSING_RATES = {
    "given_name": 0.05,
    "surname": 0.05,
    "date_of_birth": 0.06,
    "sex": 0.08,
    "address": 0.10,
    "city": 0.07,
    "postcode": 0.08,
    "phone": 0.12,
    "email": 0.15,
}

# Damage applied to duplicates only (share of duplicate records).
NAME_TYPO_RATE = 0.15
TWO_EDIT_SHARE = 0.3
NAME_SWAP_RATE = 0.05
NAME_ACCENT_STRIP_RATE = 0.10
NAME_UPPER_RATE = 0.06
COMPOUND_FIRST_PART_RATE = 0.3
DATE_ERROR_RATE = 0.10
SEX_FLIP_RATE = 0.01
MOVE_RATE = 0.04
STREET_ABBREVIATION_RATE = 0.30
STREET_NUMBER_ERROR_RATE = 0.04
ADDRESS_UPPER_RATE = 0.08
CITY_VARIANT_RATE = 0.25
POSTCODE_TYPO_RATE = 0.03
PHONE_TYPO_RATE = 0.04
PHONE_CHANGE_RATE = 0.03
EMAIL_TYPO_RATE = 0.03
EMAIL_DOMAIN_CHANGE_RATE = 0.03

# Ways the same French number is written, with how often each is used.
PHONE_TEMPLATES = (
    ("0#########", 0.33),
    ("0# ## ## ## ##", 0.30),
    ("0#.##.##.##.##", 0.10),
    ("+33 # ## ## ## ##", 0.11),
    ("+33#########", 0.08),
    ("0033 # ## ## ## ##", 0.05),
    ("0#-##-##-##-##", 0.03),
)

_FIRST_BIRTH_DAY = np.datetime64("1930-01-01")
_LAST_BIRTH_DAY = np.datetime64("2006-12-31")


# --------------------------------------------------------------------------------------------
# Built-in vocabularies
# --------------------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class _Origin:
    """Names of one origin, most common first, and the share of entities of that origin."""

    name: str
    share: float
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


_ORIGINS = (
    _Origin(
        "french",
        0.55,
        _split(
            """Jean, Pierre, Michel, Philippe, Alain, Nicolas, Patrick, Christophe, Bernard,
            Jacques, Éric, Laurent, Daniel, Frédéric, Stéphane, Julien, Thomas, Christian,
            Sébastien, Olivier, François, Pascal, Didier, Gérard, Thierry, Dominique, Vincent,
            Antoine, Maxime, Alexandre, Guillaume, Hugo, Lucas, Louis, Gabriel, Léo, Raphaël,
            Arthur, Mathieu, Romain, Jérôme, Yves, Jean-Pierre, Jean-Claude, Jean-Baptiste, Marc,
            Benoît, Cédric, Florian, Quentin, Clément, Théo, Paul, Henri, René, Claude, Serge,
            Gilles, Bruno, André"""
        ),
        _split(
            """Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Martine, Christine,
            Monique, Valérie, Sandrine, Stéphanie, Céline, Julie, Aurélie, Émilie, Camille, Léa,
            Manon, Chloé, Emma, Inès, Jade, Louise, Sophie, Anne, Hélène, Nicole, Véronique,
            Patricia, Brigitte, Jacqueline, Chantal, Laurence, Caroline, Virginie, Élodie,
            Audrey, Mélanie, Pauline, Marine, Claire, Lucie, Margaux, Anne-Sophie, Marie-Claire,
            Marie-Christine, Josiane, Odile, Agnès, Élise, Juliette, Alice, Zoé, Clara, Sarah,
            Laura, Danielle"""
        ),
        _split(
            """Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau, Laurent,
            Simon, Michel, Lefebvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard,
            Bonnet, Dupont, Lambert, Fontaine, Rousseau, Vincent, Lefèvre, Faure, André, Mercier,
            Blanc, Guérin, Boyer, Garnier, Chevalier, François, Legrand, Gauthier, Perrin, Robin,
            Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Marchand, Duval,
            Denis, Dumont, Lemaire, Noël, Dufour, Meunier, Brun, Blanchard, Giraud, Joly,
            Rivière, Lucas, Brunet, Gaillard, Barbier, Arnaud, Gérard, Roche, Renard, Roy,
            Leroux, Colin, Vidal, Caron, Picard, Roger, Fabre, Aubert, Lemoine, Renaud, Dumas,
            Lacroix, Olivier, Philippe, Bourgeois, Pierre, Benoît, Rey, Leclerc, Payet, Rolland,
            Guillaume, Lecomte, Dupuy, Guillot, Hubert, Berger, Carpentier, Dupuis, Moulin,
            Deschamps, Huet, Vasseur, Boucher, Fleury, Royer, Jacquet, Adam, Poirier, Marty,
            Aubry, Guyot, Carré, Charpentier, Ménard, Maillard, Baron, Bertin, Bailly, Hervé,
            Le Gall, Le Goff, Le Roux, Prévost, Perrot, Cousin, Germain, Breton, Besson,
            Langlois, Pelletier, Lévêque, Leblanc, Lebrun, Hamon, Boulanger, Étienne,
            Barthélemy, Delaunay"""
        ),
    ),
    _Origin(
        "maghrebi",
        0.12,
        _split(
            """Mohamed, Ahmed, Ali, Karim, Mehdi, Youssef, Rachid, Samir, Nabil, Farid, Omar,
            Hassan, Bilal, Amine, Sofiane, Mustapha, Khalid, Hamza, Ilyes, Walid, Yacine, Saïd,
            Abdel, Nordine"""
        ),
        _split(
            """Fatima, Aïcha, Leïla, Nadia, Samira, Amina, Yasmina, Karima, Malika, Salma,
            Myriam, Naïma, Soraya, Rania, Hanane, Khadija, Zineb, Meriem, Nora, Lina, Sonia,
            Djamila"""
        ),
        _split(
            """Benali, Haddad, Mansouri, Belkacem, Bouzid, Amrani, Cherif, Saidi, Hamidi,
            Brahimi, Benaissa, Mebarki, Boukhari, Ziani, Chaouch, Belhadj, Rahmani, Khelifi,
            Meziane, Lahlou, Bensaid, Djebbar, Ouali, Toumi, Kaci, Ferhat, Slimani, Hadjadj,
            El Amrani, Ben Ahmed, Bouaziz, Zerrouki"""
        ),
    ),
    _Origin(
        "iberian",
        0.10,
        _split(
            """José, Antonio, Manuel, Carlos, Francisco, Juan, Miguel, Luis, Pedro, Javier,
            Fernando, Rafael, João, Paulo, Ricardo, Diego, Sergio, Alejandro, Rui, Tiago"""
        ),
        _split(
            """Maria, Ana, Carmen, Isabel, Lucía, Elena, Rosa, Teresa, Pilar, Dolores, Sofía,
            Paula, Beatriz, Cristina, Raquel, Joana, Marta, Rita, Sandra, Mercedes"""
        ),
        _split(
            """Garcia, Martinez, Lopez, Sanchez, Perez, Rodriguez, Fernandez, Gonzalez, Gomez,
            Hernandez, Ruiz, Diaz, Moreno, Alvarez, Romero, Navarro, Torres, Dominguez,
            Da Silva, Dos Santos, Pereira, Ferreira, Rodrigues, Fernandes, Oliveira, Gonçalves,
            Costa, Martins, Sousa, Lopes, Carvalho, Almeida, Ribeiro, Teixeira, Moreira,
            De Oliveira"""
        ),
    ),
    _Origin(
        "italian",
        0.06,
        _split(
            """Giuseppe, Giovanni, Marco, Luca, Francesco, Alessandro, Andrea, Matteo, Lorenzo,
            Stefano, Roberto, Salvatore, Vincenzo, Fabio, Massimo, Enzo, Dario, Paolo"""
        ),
        _split(
            """Giulia, Francesca, Chiara, Sara, Martina, Valentina, Alessia, Federica, Silvia,
            Elisa, Giovanna, Angela, Rosaria, Paola, Antonella, Serena, Roberta"""
        ),
        _split(
            """Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco,
            Bruno, Gallo, Conti, De Luca, Mancini, Giordano, Rizzo, Lombardi, Moretti, Barbieri,
            Fontana, Santoro, Mariani, Rinaldi, Caruso, Ferrara, Galli, Martini, Leone, Longo,
            Gentile, Martinelli, Vitale, Lombardo, Serra, Coppola, De Santis"""
        ),
    ),
    _Origin(
        "english",
        0.04,
        _split(
            """James, John, Robert, Michael, William, David, Richard, Joseph, Charles,
            Christopher, Matthew, Andrew, Kevin, Brian, George, Edward, Steven, Jason, Ryan"""
        ),
        _split(
            """Mary, Jennifer, Linda, Elizabeth, Susan, Jessica, Margaret, Karen, Emily, Rachel,
            Rebecca, Amy, Kelly, Hannah, Victoria, Charlotte, Olivia"""
        ),
        _split(
            """Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Taylor, Anderson,
            Jackson, White, Harris, Thompson, Clark, Lewis, Walker, Young, Allen, Wright, Scott,
            Green, Baker, Hill, Campbell, Murphy, O'Brien, Kelly, Evans, Roberts"""
        ),
    ),
    _Origin(
        "german",
        0.04,
        _split(
            """Hans, Klaus, Jürgen, Stefan, Wolfgang, Andreas, Markus, Frank, Uwe, Dieter,
            Werner, Günther, Helmut, Jörg, Matthias, Tobias"""
        ),
        _split(
            """Ursula, Monika, Petra, Sabine, Renate, Helga, Karin, Ingrid, Gisela, Claudia,
            Susanne, Birgit, Anke, Heike, Katrin"""
        ),
        _split(
            """Muller, Schmitt, Meyer, Klein, Weber, Schneider, Fischer, Wagner, Becker, Schulz,
            Hoffmann, Schäfer, Koch, Bauer, Richter, Wolf, Schröder, Neumann, Schwarz,
            Zimmermann, Braun, Krüger, Hartmann, Lange, Werner, Krause, Lehmann, Huber,
            Kieffer, Schaeffer"""
        ),
    ),
    _Origin(
        "eastern_european",
        0.03,
        _split(
            """Piotr, Krzysztof, Andrzej, Tomasz, Paweł, Marek, Jan, Michał, Grzegorz, Łukasz,
            Ivan, Dmitri, Sergei, Vladimir, Nikolai"""
        ),
        _split(
            """Anna, Katarzyna, Małgorzata, Agnieszka, Barbara, Ewa, Magdalena, Joanna, Elżbieta,
            Olga, Natalia, Irina, Tatiana, Svetlana, Ekaterina"""
        ),
        _split(
            """Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński,
            Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Kwiatkowski, Ivanov,
            Petrov, Popescu, Popov, Smirnov, Kovacs, Horvath"""
        ),
    ),
    _Origin(
        "east_asian",
        0.03,
        _split(
            """Minh, Duc, Hung, Thanh, Tuan, Long, Quang, Wei, Jun, Hao, Ming, Jian, Cheng,
            Kim, Bao"""
        ),
        _split("""Linh, Mai, Lan, Huong, Thi, Ngoc, Hoa, Trang, Mei, Xiu, Ying, Fang, Jing, Hui"""),
        _split(
            """Nguyen, Tran, Le, Pham, Hoang, Phan, Vu, Vo, Dang, Bui, Do, Ngo, Duong, Ly, Wang,
            Li, Zhang, Chen, Liu, Yang, Huang, Zhao, Wu, Zhou, Lin"""
        ),
    ),
    _Origin(
        "west_african",
        0.03,
        _split(
            """Mamadou, Moussa, Ibrahima, Abdoulaye, Ousmane, Amadou, Cheikh, Souleymane,
            Boubacar, Seydou, Kofi, Kwame, Yao, Koffi, Emmanuel"""
        ),
        _split(
            """Aminata, Fatoumata, Mariama, Awa, Aïssatou, Kadiatou, Adama, Binta, Rokia,
            Ramatoulaye, Ama, Akua, Grace, Esther, Blessing"""
        ),
        _split(
            """Diallo, Traoré, Koné, Camara, Touré, Diop, Ndiaye, Sow, Ba, Cissé, Keita,
            Coulibaly, Sylla, Konaté, Diarra, Fofana, Kouassi, Mensah, Sanogo, Bamba, Kanté,
            Sangaré, Fall, Gueye, Sarr"""
        ),
    ),
)

# (name, first postcode, step between postcodes, number of postcodes, weight ~ population)
_CITIES = (
    ("Paris", 75001, 1, 20, 2100),
    ("Marseille", 13001, 1, 16, 870),
    ("Lyon", 69001, 1, 9, 520),
    ("Toulouse", 31000, 100, 6, 500),
    ("Nice", 6000, 100, 4, 340),
    ("Nantes", 44000, 100, 4, 320),
    ("Montpellier", 34000, 10, 9, 300),
    ("Strasbourg", 67000, 100, 3, 290),
    ("Bordeaux", 33000, 100, 4, 260),
    ("Lille", 59000, 100, 9, 235),
    ("Rennes", 35000, 100, 3, 220),
    ("Reims", 51100, 1, 1, 180),
    ("Toulon", 83000, 100, 3, 180),
    ("Saint-Étienne", 42000, 100, 2, 175),
    ("Le Havre", 76600, 10, 3, 170),
    ("Grenoble", 38000, 100, 2, 160),
    ("Dijon", 21000, 1, 1, 160),
    ("Angers", 49000, 100, 2, 155),
    ("Nîmes", 30000, 900, 2, 150),
    ("Villeurbanne", 69100, 1, 1, 150),
    ("Clermont-Ferrand", 63000, 100, 2, 145),
    ("Le Mans", 72000, 100, 2, 145),
    ("Aix-en-Provence", 13090, 10, 2, 145),
    ("Brest", 29200, 1, 1, 140),
    ("Tours", 37000, 100, 3, 137),
    ("Amiens", 80000, 80, 2, 134),
    ("Limoges", 87000, 100, 2, 132),
    ("Annecy", 74000, 1, 1, 130),
    ("Perpignan", 66000, 100, 2, 120),
    ("Boulogne-Billancourt", 92100, 1, 1, 120),
    ("Metz", 57000, 50, 2, 118),
    ("Besançon", 25000, 1, 1, 117),
    ("Orléans", 45000, 100, 2, 116),
    ("Saint-Denis", 93200, 1, 1, 113),
    ("Argenteuil", 95100, 1, 1, 110),
    ("Rouen", 76000, 100, 2, 110),
    ("Mulhouse", 68100, 100, 2, 108),
    ("Montreuil", 93100, 1, 1, 108),
    ("Caen", 14000, 1, 1, 106),
    ("Nancy", 54000, 100, 2, 104),
    ("Tourcoing", 59200, 1, 1, 98),
    ("Roubaix", 59100, 1, 1, 98),
    ("Nanterre", 92000, 1, 1, 96),
    ("Vitry-sur-Seine", 94400, 1, 1, 95),
    ("Créteil", 94000, 1, 1, 92),
    ("Avignon", 84000, 1, 1, 91),
    ("Poitiers", 86000, 1, 1, 89),
    ("Aubervilliers", 93300, 1, 1, 88),
    ("Versailles", 78000, 1, 1, 85),
    ("La Rochelle", 17000, 1, 1, 77),
    ("Pau", 64000, 1, 1, 76),
    ("Cannes", 6400, 1, 1, 74),
    ("Antibes", 6600, 1, 1, 73),
    ("Saint-Nazaire", 44600, 1, 1, 71),
    ("Ajaccio", 20000, 90, 2, 70),
    ("Calais", 62100, 1, 1, 67),
    ("Colmar", 68000, 1, 1, 67),
    ("Bourges", 18000, 1, 1, 64),
    ("Valence", 26000, 1, 1, 64),
    ("Quimper", 29000, 1, 1, 63),
    ("Troyes", 10000, 1, 1, 62),
    ("Montauban", 82000, 1, 1, 61),
    ("Chambéry", 73000, 1, 1, 60),
    ("Niort", 79000, 1, 1, 59),
    ("Lorient", 56100, 1, 1, 57),
    ("Beauvais", 60000, 1, 1, 56),
    ("Cholet", 49300, 1, 1, 54),
    ("Vannes", 56000, 1, 1, 54),
    ("Saint-Quentin", 2100, 1, 1, 53),
    ("Bayonne", 64100, 1, 1, 51),
    ("Arles", 13200, 1, 1, 51),
    ("Albi", 81000, 1, 1, 49),
    ("Laval", 53000, 1, 1, 49),
    ("Bastia", 20200, 1, 1, 48),
    ("Belfort", 90000, 1, 1, 47),
    ("Évreux", 27000, 1, 1, 47),
    ("Saint-Malo", 35400, 1, 1, 46),
    ("Blois", 41000, 1, 1, 46),
    ("Charleville-Mézières", 8000, 1, 1, 46),
    ("Sète", 34200, 1, 1, 44),
    ("Saint-Brieuc", 22000, 1, 1, 44),
    ("Châteauroux", 36000, 1, 1, 43),
    ("Angoulême", 16000, 1, 1, 42),
    ("Bourg-en-Bresse", 1000, 1, 1, 42),
    ("Gap", 5000, 1, 1, 41),
    ("Tarbes", 65000, 1, 1, 41),
    ("Chartres", 28000, 1, 1, 38),
    ("Auxerre", 89000, 1, 1, 34),
    ("Mâcon", 71000, 1, 1, 34),
    ("Agen", 47000, 1, 1, 33),
    ("Périgueux", 24000, 1, 1, 30),
    ("Saint-Lô", 50000, 1, 1, 19),
)

_STREETS = _split(
    """de la République, Victor Hugo, Jean Jaurès, de la Gare, Pasteur, du Général de Gaulle,
    des Écoles, de l'Église, du Moulin, des Lilas, de Paris, Nationale, Gambetta, Voltaire,
    Jules Ferry, Émile Zola, de la Mairie, du Château, des Tilleuls, de la Liberté, Carnot,
    du Maréchal Foch, Georges Clemenceau, Jean Moulin, du Stade, des Roses, de Verdun,
    de la Fontaine, du Marché, Saint-Martin, de Bretagne, de Strasbourg, de la Paix,
    Pierre et Marie Curie, Marcel Pagnol, des Acacias, des Peupliers, du Commerce,
    Anatole France, d'Alsace-Lorraine, du 8 Mai 1945, du 11 Novembre, de la Poste, du Port,
    des Vignes, des Champs, du Pont, Principale, de Lyon, de la Forêt, des Jardins, du Parc,
    Louis Pasteur, des Prés, du Lavoir, de la Croix, des Cerisiers, Paul Bert, Lamartine,
    Molière, Alphonse Daudet, Jean Mermoz, Aristide Briand, de Normandie, des Mimosas,
    du Four, de la Résistance, Condorcet, Montesquieu, de Provence, des Platanes, Henri Barbusse,
    Gabriel Péri, Roger Salengro, Édouard Vaillant, Jean Monnet, des Bleuets, de la Source"""
)

# Street types: full form, then abbreviations used by careless clerks; and how often each is used.
_STREET_TYPES = (
    (("rue", "r.", "r"), 0.55),
    (("avenue", "av.", "ave"), 0.12),
    (("boulevard", "bd", "bld"), 0.06),
    (("chemin", "ch.", "chem."), 0.08),
    (("place", "pl.", "pl"), 0.04),
    (("allée", "all.", "allee"), 0.07),
    (("impasse", "imp.", "imp"), 0.08),
)

_EMAIL_DOMAINS = (
    ("gmail.com", 0.34),
    ("orange.fr", 0.16),
    ("hotmail.fr", 0.12),
    ("yahoo.fr", 0.09),
    ("free.fr", 0.09),
    ("outlook.fr", 0.06),
    ("laposte.net", 0.05),
    ("sfr.fr", 0.05),
    ("wanadoo.fr", 0.04),
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NON_DECOMPOSING = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss"})


def _zipf(size: int, exponent: float = 0.8, offset: float = 2.0) -> FloatArray:
    """Probabilities of ranks 1..size, falling like 1 / (rank + offset) ** exponent."""
    weights = 1.0 / (np.arange(1, size + 1, dtype=np.float64) + offset) ** exponent
    probabilities: FloatArray = weights / weights.sum()
    return probabilities


def _normalised(weights: Sequence[float]) -> FloatArray:
    array = np.asarray(weights, dtype=np.float64)
    probabilities: FloatArray = array / array.sum()
    return probabilities


@dataclass(frozen=True)
class _NamePool:
    """One flat array of names, cut into groups (one per origin) of rank-ordered names."""

    names: ObjArray
    offsets: tuple[int, ...]
    sizes: tuple[int, ...]

    @classmethod
    def of(cls, groups: Sequence[Sequence[str]]) -> _NamePool:
        sizes = tuple(len(group) for group in groups)
        offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        names = np.array([name for group in groups for name in group], dtype=object)
        return cls(names, offsets, sizes)

    def draw(self, rng: np.random.Generator, group: IntArray) -> IntArray:
        """Draw one name index per row, Zipf-skewed within the row's group."""
        out = np.zeros(len(group), dtype=np.int64)
        for g, (offset, size) in enumerate(zip(self.offsets, self.sizes, strict=True)):
            rows = np.flatnonzero(group == g)
            out[rows] = offset + rng.choice(size, size=len(rows), p=_zipf(size))
        return out


@dataclass(frozen=True)
class _Vocabulary:
    origin_shares: FloatArray
    given: _NamePool  # groups: origin 0 male, origin 0 female, origin 1 male, ...
    surnames: _NamePool
    city_names: ObjArray
    city_weights: FloatArray
    postcode_first: IntArray
    postcode_step: IntArray
    postcode_count: IntArray
    streets: ObjArray
    street_types: ObjArray  # (n_types, 3): full form and two abbreviations
    street_type_weights: FloatArray
    domains: ObjArray
    domain_weights: FloatArray


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    cities = list(zip(*_CITIES, strict=True))
    return _Vocabulary(
        origin_shares=_normalised([o.share for o in _ORIGINS]),
        given=_NamePool.of([names for o in _ORIGINS for names in (o.male, o.female)]),
        surnames=_NamePool.of([o.surnames for o in _ORIGINS]),
        city_names=np.array(cities[0], dtype=object),
        city_weights=_normalised(cities[4]),
        postcode_first=np.array(cities[1], dtype=np.int64),
        postcode_step=np.array(cities[2], dtype=np.int64),
        postcode_count=np.array(cities[3], dtype=np.int64),
        streets=np.array(_STREETS, dtype=object),
        street_types=np.array([forms for forms, _ in _STREET_TYPES], dtype=object),
        street_type_weights=_normalised([w for _, w in _STREET_TYPES]),
        domains=np.array([d for d, _ in _EMAIL_DOMAINS], dtype=object),
        domain_weights=_normalised([w for _, w in _EMAIL_DOMAINS]),
    )


# --------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------


def _digits(values: IntArray, width: int) -> IntArray:
    """Decimal digits of each value, most significant first: shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def _render(template: str, digits: IntArray) -> ObjArray:
    """Fill the ``#`` slots of an ASCII template with digits, one string per row."""
    pattern = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    slots = np.flatnonzero(pattern == ord("#"))
    chars = np.tile(pattern, (len(digits), 1))
    chars[:, slots] = (digits + ord("0")).astype(np.uint8)
    strings = np.ascontiguousarray(chars).view(f"S{len(pattern)}").ravel()
    return strings.astype(f"U{len(pattern)}").astype(object)


def _mask(rng: np.random.Generator, rate: float, eligible: BoolArray) -> BoolArray:
    """Rows that are eligible and win a draw at ``rate``."""
    draw: BoolArray = rng.random(len(eligible)) < rate
    return draw & eligible


def _digit_typos(rng: np.random.Generator, digits: IntArray, rows: BoolArray) -> None:
    """Change one digit (never to itself) in each selected row, in place."""
    where = np.flatnonzero(rows)
    columns = rng.integers(0, digits.shape[1], size=len(where))
    digits[where, columns] = (digits[where, columns] + rng.integers(1, 10, len(where))) % 10


def _table(values: Sequence[str]) -> ObjArray:
    return np.array(list(values), dtype=object)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_NON_DECOMPOSING))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _edit(text: str, operation: int, where: float, letter: int) -> str:
    """One typo: 0 substitute, 1 delete, 2 insert, 3 transpose (falls back to substitute)."""
    size = len(text)
    i = min(int(where * size), size - 1)
    new = _LETTERS[letter]
    if new == text[i].lower():
        new = _LETTERS[(letter + 1) % len(_LETTERS)]
    if text[i].isupper():
        new = new.upper()
    if operation == 1 and size > 2:
        return text[:i] + text[i + 1 :]
    if operation == 2:
        return text[:i] + new + text[i:]
    if operation == 3 and size > 1:
        j = min(i, size - 2)
        if text[j] != text[j + 1]:
            return text[:j] + text[j + 1] + text[j] + text[j + 2 :]
    return text[:i] + new + text[i + 1 :]


def _add_typos(rng: np.random.Generator, values: ObjArray, rows: BoolArray) -> None:
    """Give each selected non-empty value one or two character edits, in place."""
    where = np.flatnonzero(rows)
    n = len(where)
    edits = np.where(rng.random(n) < TWO_EDIT_SHARE, 2, 1).tolist()
    operations = rng.integers(0, 4, size=(n, 2)).tolist()
    positions = rng.random((n, 2)).tolist()
    letters = rng.integers(0, len(_LETTERS), size=(n, 2)).tolist()
    for k, row in enumerate(where.tolist()):
        text = values[row]
        if not text:
            continue
        for e in range(edits[k]):
            text = _edit(text, operations[k][e], positions[k][e], letters[k][e])
        values[row] = text


def _pick_by_weight(rng: np.random.Generator, weights: FloatArray, n: int) -> IntArray:
    picked: IntArray = rng.choice(len(weights), size=n, p=weights)
    return picked


# --------------------------------------------------------------------------------------------
# Entities and records
# --------------------------------------------------------------------------------------------


@dataclass
class _Address:
    number: IntArray
    bis: BoolArray
    street_type: IntArray
    street: IntArray
    city: IntArray
    postcode: IntArray

    def take(self, rows: IntArray) -> _Address:
        return _Address(
            self.number[rows],
            self.bis[rows],
            self.street_type[rows],
            self.street[rows],
            self.city[rows],
            self.postcode[rows],
        )

    def replace(self, rows: BoolArray, other: _Address) -> None:
        where = np.flatnonzero(rows)
        for name in ("number", "bis", "street_type", "street", "city", "postcode"):
            getattr(self, name)[where] = getattr(other, name)[where]


@dataclass
class _Entities:
    female: BoolArray
    given: IntArray
    surname: IntArray
    birth_day: IntArray  # days since 1970-01-01
    address: _Address
    phone: IntArray  # 9-digit national significant number
    email: ObjArray


def _draw_addresses(rng: np.random.Generator, n: int) -> _Address:
    vocab = _vocabulary()
    city = _pick_by_weight(rng, vocab.city_weights, n)
    offset = np.floor(rng.random(n) * vocab.postcode_count[city]).astype(np.int64)
    return _Address(
        number=np.minimum(rng.geometric(1 / 25, n), 300).astype(np.int64),
        bis=rng.random(n) < 0.03,
        street_type=_pick_by_weight(rng, vocab.street_type_weights, n),
        street=rng.choice(len(vocab.streets), size=n, p=_zipf(len(vocab.streets), 0.6)),
        city=city,
        postcode=vocab.postcode_first[city] + vocab.postcode_step[city] * offset,
    )


def _draw_phones(rng: np.random.Generator, n: int) -> IntArray:
    mobile = rng.random(n) < 0.7
    first = np.where(mobile, np.where(rng.random(n) < 0.8, 6, 7), rng.integers(1, 6, n))
    rest = rng.integers(0, 10**8, n)
    phones: IntArray = first.astype(np.int64) * 10**8 + rest
    return phones


def _ascii_local(names: ObjArray) -> ObjArray:
    """Lower-case ASCII form of each name, as it appears in an e-mail address."""
    local = [_strip_accents(x).lower().replace(" ", "").replace("'", "") for x in names.tolist()]
    return np.array(local, dtype=object)


def _draw_emails(rng: np.random.Generator, given: IntArray, surname: IntArray) -> ObjArray:
    vocab = _vocabulary()
    n = len(given)
    g = _ascii_local(vocab.given.names)[given]
    s = _ascii_local(vocab.surnames.names)[surname]
    initial = np.array([x[:1] for x in g.tolist()], dtype=object)
    number = _table([f"{i:02d}" for i in range(100)])[rng.integers(0, 100, n)]
    styles = [
        g + "." + s,
        g + s,
        initial + s,
        s + "." + g,
        g + "." + s + number,
        g + "_" + s,
        initial + "." + s + number,
    ]
    style = _pick_by_weight(rng, _normalised([30, 12, 12, 8, 20, 8, 10]), n)
    local = np.choose(style, styles)
    domain = vocab.domains[_pick_by_weight(rng, vocab.domain_weights, n)]
    return _unique_emails(rng, local, domain)


def _mailbox(emails: ObjArray) -> pd.Series:
    """The mailbox an address reaches: for gmail, the local part without dots."""
    series = pd.Series(emails, dtype=object).str.lower()
    if series.empty:
        return series
    parts = series.str.rsplit("@", n=1, expand=True)
    gmail = parts[1].isin(["gmail.com", "googlemail.com"])
    local = parts[0].where(~gmail, parts[0].str.replace(".", "", regex=False))
    return local + "@" + parts[1].where(~gmail, "gmail.com")


def _unique_emails(rng: np.random.Generator, local: ObjArray, domain: ObjArray) -> ObjArray:
    """``local@domain``, with a number added to the local part of any mailbox already taken.

    Gmail ignores dots in the local part, so ``ab.cd@gmail.com`` and ``abcd@gmail.com`` are one
    mailbox: two people never hold both.
    """
    emails: ObjArray = local + "@" + domain
    for digits in (2, 3, 4, 5, 6, 7, 8):
        taken = np.flatnonzero(_mailbox(emails).duplicated().to_numpy())
        if len(taken) == 0:
            break
        suffix = rng.integers(10 ** (digits - 1), 10**digits, len(taken)).astype(str)
        emails[taken] = local[taken] + suffix.astype(object) + "@" + domain[taken]
    return emails


def _draw_entities(streams: dict[str, np.random.Generator], n: int) -> _Entities:
    vocab = _vocabulary()
    rng = streams["names"]
    origin = _pick_by_weight(rng, vocab.origin_shares, n)
    mixed = rng.random(n) < 0.25
    given_origin = np.where(mixed, _pick_by_weight(rng, vocab.origin_shares, n), origin)
    female = rng.random(n) < 0.5
    given = vocab.given.draw(rng, 2 * given_origin + female)
    surname = vocab.surnames.draw(rng, origin)
    span = int((_LAST_BIRTH_DAY - _FIRST_BIRTH_DAY).astype(np.int64)) + 1
    first_day = int(_FIRST_BIRTH_DAY.astype(np.int64))
    return _Entities(
        female=female,
        given=given,
        surname=surname,
        birth_day=first_day + streams["dob"].integers(0, span, n),
        address=_draw_addresses(streams["address"], n),
        phone=_draw_phones(streams["phone"], n),
        email=_draw_emails(streams["email"], given, surname),
    )


def _duplicate_owners(rng: np.random.Generator, n_entities: int, n_duplicates: int) -> IntArray:
    """Entity of each duplicate: a random subset of entities get 1, 2 or 3 copies (skewed)."""
    if n_duplicates == 0 or n_entities == 0:
        return np.zeros(0, dtype=np.int64)
    counts = rng.choice(np.arange(1, 4), size=n_entities, p=_normalised(DUPLICATE_COUNT_WEIGHTS))
    order = rng.permutation(n_entities)
    counts = counts[order]
    total = np.cumsum(counts)
    taken = int(np.searchsorted(total, n_duplicates)) + 1
    counts = counts[:taken].copy()
    if total[-1] >= n_duplicates:
        counts[-1] -= int(counts.sum()) - n_duplicates
    owners = np.repeat(order[: len(counts)], counts)
    missing = n_duplicates - len(owners)
    if missing > 0:  # very high duplicate rates: some entities get more than three copies
        owners = np.concatenate([owners, rng.integers(0, n_entities, missing)])
    result: IntArray = owners.astype(np.int64)
    return result


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------


def _name_variants(names: ObjArray) -> ObjArray:
    """Table (4, n): as written, without accents, upper case, first part of a compound."""
    as_list = names.tolist()
    return np.array(
        [
            as_list,
            [_strip_accents(x) for x in as_list],
            [x.upper() for x in as_list],
            [x.split("-")[0] for x in as_list],
        ],
        dtype=object,
    )


def _variant_codes(rng: np.random.Generator, dup: BoolArray, compound: BoolArray) -> IntArray:
    """Which row of a ``_name_variants`` table each record uses (0 unless it is a duplicate)."""
    u = rng.random(len(dup))
    codes = np.zeros(len(dup), dtype=np.int64)
    codes[u < NAME_ACCENT_STRIP_RATE + NAME_UPPER_RATE] = 2
    codes[u < NAME_ACCENT_STRIP_RATE] = 1
    codes[_mask(rng, COMPOUND_FIRST_PART_RATE, compound)] = 3
    codes[~dup] = 0
    return codes


def _name_columns(
    rng: np.random.Generator, ent: _Entities, owner: IntArray, dup: BoolArray
) -> tuple[ObjArray, ObjArray]:
    vocab = _vocabulary()
    given_index = ent.given[owner]
    surname_index = ent.surname[owner]
    given_table = _name_variants(vocab.given.names)
    surname_table = _name_variants(vocab.surnames.names)
    compound = (given_table[0] != given_table[3])[given_index]
    given_code = _variant_codes(rng, dup, compound)
    surname_code = _variant_codes(rng, dup, np.zeros(len(dup), dtype=bool))
    given = given_table[given_code, given_index]
    surname = surname_table[surname_code, surname_index]
    _add_typos(rng, given, _mask(rng, NAME_TYPO_RATE, dup))
    _add_typos(rng, surname, _mask(rng, NAME_TYPO_RATE, dup))
    swap = _mask(rng, NAME_SWAP_RATE, dup)
    given[swap], surname[swap] = surname[swap], given[swap].copy()
    return given, surname


def _date_column(rng: np.random.Generator, birth_day: IntArray, dup: BoolArray) -> ObjArray:
    """DD/MM/YYYY with day/month swaps, year +-1, one-digit typos and 01/01 placeholders."""
    dates = birth_day.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months).astype(np.int64) + 1
    error = _mask(rng, DATE_ERROR_RATE, dup)
    kind = rng.choice(4, size=len(dup), p=_normalised([0.3, 0.25, 0.3, 0.15]))
    swap = error & (kind == 0) & (day <= 12) & (day != month)
    year_off = error & (kind == 1)
    typo = error & ((kind == 2) | ((kind == 0) & ~swap))
    placeholder = error & (kind == 3)
    day[swap], month[swap] = month[swap], day[swap].copy()
    year[year_off] += np.where(rng.random(int(year_off.sum())) < 0.5, -1, 1)
    day[placeholder] = 1
    month[placeholder] = 1
    digits = np.concatenate([_digits(day, 2), _digits(month, 2), _digits(year, 4)], axis=1)
    _digit_typos(rng, digits, typo)
    return _render("##/##/####", digits)


def _sex_column(rng: np.random.Generator, female: BoolArray, dup: BoolArray) -> ObjArray:
    flipped = female ^ _mask(rng, SEX_FLIP_RATE, dup)
    sex: ObjArray = np.where(flipped, "F", "M").astype(object)
    return sex


def _address_columns(
    rng: np.random.Generator, ent: _Entities, owner: IntArray, dup: BoolArray
) -> tuple[ObjArray, ObjArray, ObjArray]:
    """Street address, city and postcode; duplicates move, abbreviate and mistype."""
    vocab = _vocabulary()
    n = len(owner)
    address = ent.address.take(owner)
    address.replace(_mask(rng, MOVE_RATE, dup), _draw_addresses(rng, n))
    renumber = _mask(rng, STREET_NUMBER_ERROR_RATE, dup)
    address.number[renumber] = np.maximum(
        1, address.number[renumber] + rng.choice([-2, -1, 1, 10], int(renumber.sum()))
    )
    form = np.where(_mask(rng, STREET_ABBREVIATION_RATE, dup), rng.integers(1, 3, n), 0)
    numbers = _table([str(i) for i in range(int(address.number.max(initial=1)) + 1)])
    street = (
        numbers[address.number]
        + np.where(address.bis, " bis ", " ").astype(object)
        + vocab.street_types[address.street_type, form]
        + " "
        + vocab.streets[address.street]
    )
    upper = np.flatnonzero(_mask(rng, ADDRESS_UPPER_RATE, dup))
    street[upper] = [x.upper() for x in street[upper].tolist()]
    city_table = np.array(
        [
            vocab.city_names.tolist(),
            [x.upper() for x in vocab.city_names.tolist()],
            [_strip_accents(x) for x in vocab.city_names.tolist()],
            [_strip_accents(x).replace("Saint-", "St-") for x in vocab.city_names.tolist()],
        ],
        dtype=object,
    )
    city_form = np.where(_mask(rng, CITY_VARIANT_RATE, dup), rng.integers(1, 4, n), 0)
    city = city_table[city_form, address.city]
    postcode_digits = _digits(address.postcode, 5)
    _digit_typos(rng, postcode_digits, _mask(rng, POSTCODE_TYPO_RATE, dup))
    return street, city, _render("#####", postcode_digits)


def _phone_column(
    rng: np.random.Generator, ent: _Entities, owner: IntArray, dup: BoolArray
) -> ObjArray:
    """Phone numbers written in the many ways people write French numbers."""
    n = len(owner)
    phone = ent.phone[owner]
    changed = _mask(rng, PHONE_CHANGE_RATE, dup)
    phone[changed] = _draw_phones(rng, int(changed.sum()))
    digits = _digits(phone, 9)
    typo = _mask(rng, PHONE_TYPO_RATE, dup)
    where = np.flatnonzero(typo)  # never the leading digit: keep it a plausible number
    columns = rng.integers(1, 9, size=len(where))
    digits[where, columns] = (digits[where, columns] + rng.integers(1, 10, len(where))) % 10
    style = _pick_by_weight(rng, _normalised([w for _, w in PHONE_TEMPLATES]), n)
    out = np.empty(n, dtype=object)
    for k, (template, _) in enumerate(PHONE_TEMPLATES):
        rows = np.flatnonzero(style == k)
        out[rows] = _render(template, digits[rows])
    return out


def _email_column(
    rng: np.random.Generator, ent: _Entities, owner: IntArray, dup: BoolArray
) -> ObjArray:
    """E-mail addresses; duplicates get a typo in the local part or another domain."""
    vocab = _vocabulary()
    email = ent.email[owner]
    typo = _mask(rng, EMAIL_TYPO_RATE, dup)
    moved = _mask(rng, EMAIL_DOMAIN_CHANGE_RATE, dup)
    touched = np.flatnonzero(typo | moved)
    parts = [x.rsplit("@", 1) for x in email[touched].tolist()]
    local = np.array([p[0] for p in parts], dtype=object)
    domain = np.array([p[1] for p in parts], dtype=object)
    _add_typos(rng, local, typo[touched])
    new_domain = vocab.domains[_pick_by_weight(rng, vocab.domain_weights, len(touched))]
    domain = np.where(moved[touched], new_domain, domain)
    email[touched] = local + "@" + domain
    return email


def _ids(prefix: str, values: IntArray, count: int) -> ObjArray:
    width = max(7, len(str(max(count - 1, 0))))
    return _render(prefix + "#" * width, _digits(values, width))


def _streams(seed: int) -> dict[str, np.random.Generator]:
    names = ("structure", "names", "dob", "address", "phone", "email", "damage", "missing")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def _blank_missing(rng: np.random.Generator, columns: dict[str, ObjArray]) -> None:
    for name, rate in MISSING_RATES.items():
        column = columns[name]
        column[rng.random(len(column)) < rate] = None


def generate_people(
    n_records: int, seed: int, duplicate_rate: float = 0.4
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate ``n_records`` synthetic person records and the truth behind them.

    Returns ``(records, truth)``. ``records`` has the columns of ``RECORD_COLUMNS``
    (``record_id`` like ``"r0000123"``, ``date_of_birth`` as ``DD/MM/YYYY``, ``sex`` ``M``/``F``,
    missing values as ``None``); ``truth`` maps every ``record_id`` to an ``entity_id``.
    ``duplicate_rate`` is the share of records that are duplicates of another record's entity:
    there are ``n_records - round(n_records * duplicate_rate)`` entities. Rows come in a seeded
    random order; the same arguments always give identical frames.
    """
    if n_records < 0:
        raise ValueError(f"n_records must be >= 0, got {n_records}")
    if not 0.0 <= duplicate_rate < 1.0:
        raise ValueError(f"duplicate_rate must be in [0, 1), got {duplicate_rate}")
    streams = _streams(seed)
    n_duplicates = min(round(n_records * duplicate_rate), max(n_records - 1, 0))
    n_entities = n_records - n_duplicates
    entities = _draw_entities(streams, n_entities)
    owners = _duplicate_owners(streams["structure"], n_entities, n_duplicates)
    owner = np.concatenate([np.arange(n_entities, dtype=np.int64), owners])
    dup = np.arange(n_records) >= n_entities
    order = streams["structure"].permutation(n_records)
    owner, dup = owner[order], dup[order]

    damage = streams["damage"]
    given, surname = _name_columns(damage, entities, owner, dup)
    address, city, postcode = _address_columns(damage, entities, owner, dup)
    columns = {
        "record_id": _ids("r", np.arange(n_records, dtype=np.int64), n_records),
        "given_name": given,
        "surname": surname,
        "date_of_birth": _date_column(damage, entities.birth_day[owner], dup),
        "sex": _sex_column(damage, entities.female[owner], dup),
        "address": address,
        "city": city,
        "postcode": postcode,
        "phone": _phone_column(damage, entities, owner, dup),
        "email": _email_column(damage, entities, owner, dup),
    }
    _blank_missing(streams["missing"], columns)
    records = pd.DataFrame({name: columns[name] for name in RECORD_COLUMNS})
    truth = pd.DataFrame(
        {"record_id": columns["record_id"], "entity_id": _ids("e", owner, n_entities)}
    )
    return records, truth


def write_people(
    n_records: int, seed: int, out: Path, truth_out: Path, duplicate_rate: float = 0.4
) -> None:
    """Generate records and write them and their truth as UTF-8 CSV files."""
    records, truth = generate_people(n_records, seed, duplicate_rate)
    records.to_csv(out, index=False, lineterminator="\n")
    truth.to_csv(truth_out, index=False, lineterminator="\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write ``--records`` synthetic records and their truth as CSV."""
    parser = argparse.ArgumentParser(
        prog="python -m linker.synth.people", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, required=True, help="number of records")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--duplicate-rate", type=float, default=0.4, help="default 0.4")
    parser.add_argument("--out", type=Path, required=True, help="records CSV to write")
    parser.add_argument("--truth", type=Path, required=True, help="truth CSV to write")
    args = parser.parse_args(argv)
    write_people(args.records, args.seed, args.out, args.truth, args.duplicate_rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
