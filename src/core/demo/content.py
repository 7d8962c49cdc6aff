"""What the demo catalog contains: people, stores, categories and products.

Plain data plus small deterministic builders. Every text is our own. Prices
are written in US cents and converted to each store's currency with the
reference rates (core.money), then rounded to a price a shop would print.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.text import slugify

from core.money import Money, convert, get_currency

DEMO_PASSWORD = "demo-pass-2026"
DEMO_DOMAIN = "demo.hmong-artisans.test"


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


# --- People ------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSpec:
    email: str
    first_name: str
    last_name: str
    role: str  # shown in the printed list of logins
    is_staff: bool = False


BUYER = PersonSpec(demo_email("buyer"), "Nou", "Xiong", "buyer")
STAFF = PersonSpec(
    demo_email("staff"), "Kia", "Her", "staff (superuser, back office)", is_staff=True
)

BUYER_ADDRESS = {
    "first_name": "Nou",
    "last_name": "Xiong",
    "line1": "995 University Ave W",
    "line2": "Apt 4",
    "city": "Saint Paul",
    "region": "MN",
    "postal_code": "55104",
    "country": "US",
    "phone": "+1 651 555 0142",
}

# --- Categories ----------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    parent: str | None
    description: str


CATEGORIES: list[CategorySpec] = [
    CategorySpec(
        "story-cloths",
        "Story cloths",
        None,
        "Embroidered picture cloths that record village life, journeys and old tales.",
    ),
    CategorySpec(
        "paj-ntaub",
        "Paj ntaub embroidery",
        None,
        "Flower cloth: geometric needlework in reverse appliqué, cross-stitch and batik.",
    ),
    CategorySpec(
        "reverse-applique",
        "Reverse appliqué",
        "paj-ntaub",
        "Layers of cloth cut and folded back by hand into spirals, crosses and diamonds.",
    ),
    CategorySpec(
        "cross-stitch",
        "Cross-stitch",
        "paj-ntaub",
        "Counted cross-stitch in bright cotton thread, row by careful row.",
    ),
    CategorySpec(
        "silver-jewellery",
        "Silver jewellery",
        None,
        "Neck rings, lock pendants, earrings and bangles, forged and engraved by hand.",
    ),
    CategorySpec(
        "necklaces",
        "Necklaces & neck rings",
        "silver-jewellery",
        "Neck rings, lock (xauv) pendants and chains.",
    ),
    CategorySpec("earrings", "Earrings", "silver-jewellery", "Hoops, drops and dangles."),
    CategorySpec("bracelets", "Bracelets & rings", "silver-jewellery", "Bangles, cuffs and rings."),
    CategorySpec(
        "batik-indigo",
        "Batik & indigo",
        None,
        "Hemp and cotton drawn with hot beeswax, then dipped again and again in indigo.",
    ),
    CategorySpec(
        "baskets-bamboo",
        "Baskets & bamboo",
        None,
        "Carrying baskets, trays and kitchen tools woven from bamboo and rattan.",
    ),
    CategorySpec("clothing", "Clothing", None, "Everyday and New Year clothes for every age."),
    CategorySpec("womens-clothing", "Women's clothing", "clothing", "Skirts, jackets and blouses."),
    CategorySpec("mens-clothing", "Men's clothing", "clothing", "Jackets, vests and trousers."),
    CategorySpec(
        "childrens-clothing",
        "Children's clothing",
        "clothing",
        "Small outfits for the New Year and every day.",
    ),
    CategorySpec(
        "sashes-aprons",
        "Sashes & aprons",
        "clothing",
        "Waist sashes, aprons and coin belts to finish an outfit.",
    ),
    CategorySpec(
        "home-decor",
        "Home & decor",
        None,
        "Pillow covers, table runners and wall pieces for the home.",
    ),
    CategorySpec("accessories", "Accessories", None, "Bags, hats and baby carriers."),
    CategorySpec(
        "bags-purses", "Bags & purses", "accessories", "Shoulder bags, totes and pouches."
    ),
    CategorySpec(
        "hats-headwear", "Hats & headwear", "accessories", "Pom-pom hats, turbans and caps."
    ),
    CategorySpec(
        "baby-carriers",
        "Baby carriers",
        "accessories",
        "Embroidered carriers and covers for carrying a little one on the back.",
    ),
    CategorySpec(
        "keepsakes-gifts",
        "Keepsakes & gifts",
        None,
        "Small pieces to give: ornaments, cards, bookmarks and coasters.",
    ),
]

# --- Stores and shipping ---------------------------------------------------------

DESTINATIONS = ["US", "GB", "FR", "DE", "RU", "BR", "MX", "SA", "AE", "UA", "PL", "TR"]

REGION = {
    "US": "NA",
    "MX": "LATAM",
    "BR": "LATAM",
    "GB": "EU",
    "FR": "EU",
    "DE": "EU",
    "PL": "EU",
    "RU": "EAST",
    "UA": "EAST",
    "TR": "EAST",
    "SA": "ME",
    "AE": "ME",
    "TH": "ASIA",
    "LA": "ASIA",
    "VN": "ASIA",
    "CN": "ASIA",
}

# Standard (tracked) delivery days after shipment, from a region to a region.
STANDARD_DAYS: dict[tuple[str, str], tuple[int, int]] = {
    ("NA", "NA"): (3, 6),
    ("NA", "LATAM"): (7, 14),
    ("NA", "EU"): (7, 12),
    ("NA", "EAST"): (10, 20),
    ("NA", "ME"): (9, 16),
    ("NA", "ASIA"): (10, 18),
    ("EU", "EU"): (3, 7),
    ("EU", "NA"): (8, 14),
    ("EU", "LATAM"): (12, 22),
    ("EU", "EAST"): (6, 14),
    ("EU", "ME"): (7, 14),
    ("EU", "ASIA"): (10, 20),
    ("ASIA", "ASIA"): (5, 10),
    ("ASIA", "NA"): (12, 25),
    ("ASIA", "EU"): (12, 22),
    ("ASIA", "EAST"): (15, 30),
    ("ASIA", "LATAM"): (18, 35),
    ("ASIA", "ME"): (10, 20),
}
REST_OF_WORLD_DAYS = {"NA": (12, 28), "EU": (10, 25), "ASIA": (15, 35)}


@dataclass(frozen=True)
class MethodSpec:
    name: str
    carrier: str
    price_usd_cents: int
    express: bool = False


@dataclass(frozen=True)
class StoreSpec:
    key: str
    owner: PersonSpec
    name: str
    tagline: str
    description: str
    ships_from: str
    currency: str
    city: str
    methods: tuple[MethodSpec, ...]
    warehouse_country: str = ""  # a domestic warehouse abroad, for some products

    @property
    def slug(self) -> str:
        return slugify(self.name)


def _seller(n: int, first: str, last: str) -> PersonSpec:
    return PersonSpec(demo_email(f"seller{n}"), first, last, f"seller (store {n})")


STORES: list[StoreSpec] = [
    StoreSpec(
        "paj-ntaub-house",
        _seller(1, "Mai", "Vang"),
        "Paj Ntaub House",
        "Story cloths and flower cloth from Saint Paul, Minnesota",
        "Mai learned reverse appliqué from her grandmother and now sews with a circle of "
        "aunties and cousins in Saint Paul. Every piece is cut and stitched by hand.",
        "US",
        "USD",
        "Saint Paul",
        (MethodSpec("Standard", "USPS", 599), MethodSpec("Express", "UPS", 2499, express=True)),
    ),
    StoreSpec(
        "nyiaj-silver-studio",
        _seller(2, "Tou", "Lor"),
        "Nyiaj Silver Studio",
        "Hand-forged Hmong silver from Chiang Mai",
        "A family workshop in the hills near Chiang Mai. Tou and his brothers melt, draw and "
        "engrave every neck ring and earring the way their father taught them.",
        "TH",
        "THB",
        "Chiang Mai",
        (
            MethodSpec("Thai Post Registered", "Thailand Post", 450),
            MethodSpec("Courier", "DHL Express", 2900, express=True),
        ),
        warehouse_country="DE",
    ),
    StoreSpec(
        "luang-prabang-loom",
        _seller(3, "Yer", "Moua"),
        "Luang Prabang Loom & Basket",
        "Hemp, indigo and bamboo from northern Laos",
        "A cooperative of weavers and basket makers from villages around Luang Prabang. "
        "They grow the hemp, dye it with indigo from their gardens and split their own bamboo.",
        "LA",
        "LAK",
        "Luang Prabang",
        (
            MethodSpec("Lao Post EMS", "Lao Post", 900),
            MethodSpec("Courier", "DHL Express", 3500, express=True),
        ),
    ),
    StoreSpec(
        "sa-pa-indigo",
        _seller(4, "Lan", "Giang"),
        "Sa Pa Indigo",
        "Batik and hemp clothing from the mountains of Lào Cai",
        "Black Hmong families in the valleys below Sa Pa draw patterns with beeswax, dye the "
        "cloth dark blue and sew it into skirts, jackets and bags.",
        "VN",
        "VND",
        "Sa Pa",
        (
            MethodSpec("Vietnam Post Tracked", "Vietnam Post", 700),
            MethodSpec("Express", "EMS", 2600, express=True),
        ),
    ),
    StoreSpec(
        "atelier-nyiaj-nimes",
        _seller(5, "Pang", "Yang"),
        "Atelier Nyiaj Nîmes",
        "Hmong needlework and silver, sewn in the south of France",
        "Pang's family settled near Nîmes in the 1980s. Her atelier makes bags, cushions and "
        "festival clothes, and keeps her mother's silver patterns alive.",
        "FR",
        "EUR",
        "Nîmes",
        (
            MethodSpec("Colissimo", "La Poste", 690),
            MethodSpec("Chronopost", "Chronopost", 1990, express=True),
        ),
        warehouse_country="FR",
    ),
    StoreSpec(
        "guizhou-wax-thread",
        _seller(6, "Ayi", "Long"),
        "Guizhou Wax & Thread",
        "Miao batik, embroidery and silver from Guizhou",
        "Makers from villages in south-east Guizhou, where the Hmong are known as Miao. "
        "Finer batik than you would believe a bamboo pen could draw.",
        "CN",
        "USD",
        "Kaili",
        (
            MethodSpec("China Post Registered", "China Post", 350),
            MethodSpec("Express", "SF Express", 2200, express=True),
        ),
        warehouse_country="US",
    ),
    StoreSpec(
        "fresno-story-cloth",
        _seller(7, "Chue", "Thao"),
        "Fresno Story Cloth Collective",
        "Elders' story cloths and keepsakes from California's Central Valley",
        "A group of elders in Fresno who stitch the stories of their lives: the villages of "
        "Laos, the long walk to the river, the camps in Thailand and new lives in America.",
        "US",
        "USD",
        "Fresno",
        (MethodSpec("Ground", "USPS", 499), MethodSpec("Priority", "USPS", 1499, express=True)),
    ),
    StoreSpec(
        "nan-valley-crafts",
        _seller(8, "Nhia", "Kue"),
        "Nan Valley Crafts",
        "Baskets, baby carriers and children's clothes from Nan, Thailand",
        "A village shop near the Lao border: rattan and bamboo work by the men, baby carriers "
        "and children's festival clothes by the women.",
        "TH",
        "THB",
        "Nan",
        (
            MethodSpec("Thai Post Registered", "Thailand Post", 400),
            MethodSpec("Courier", "Kerry Express", 2500, express=True),
        ),
    ),
]
SELLERS = [store.owner for store in STORES]
STORE_BY_KEY = {store.key: store for store in STORES}


def delivery_days(*, ships_from: str, destination: str, express: bool) -> tuple[int, int]:
    """Delivery days for a destination country, or for the rest of the world when blank."""
    origin = REGION[ships_from]
    if destination == ships_from:
        low, high = (1, 3) if express else (2, 5)
        return low, high
    if destination:
        low, high = STANDARD_DAYS.get((origin, REGION[destination]), REST_OF_WORLD_DAYS[origin])
    else:
        low, high = REST_OF_WORLD_DAYS[origin]
    if express:
        low, high = max(2, low // 3), max(3, high // 3)
    return low, high


# --- Prices --------------------------------------------------------------------


def shop_price(usd_cents: int, currency: str) -> int:
    """A price in `currency` minor units that a shop would print (24.99, 890 ฿, 545,000 ₭)."""
    value = convert(Money(usd_cents, "USD"), currency).decimal
    if currency in {"USD", "EUR", "GBP"}:
        return int(max(Decimal(1), value.quantize(Decimal(1))) * 100) - 1
    exponent = get_currency(currency).exponent
    step = {"THB": Decimal(10), "LAK": Decimal(5000), "VND": Decimal(5000)}.get(
        currency, Decimal(1)
    )
    rounded = max(step, (value / step).quantize(Decimal(1)) * step)
    return int(rounded.scaleb(exponent))


# --- Products --------------------------------------------------------------------

COLOURWAYS = ["Indigo & white", "Red & gold", "Green & cream", "Black & rainbow", "Pink & purple"]
APPAREL_SIZES = ["XS", "S", "M", "L", "XL"]
CHILD_AGES = ["1–2 years", "3–4 years", "5–6 years", "7–8 years"]

# Each kind of option set: a list of (options, price in percent of the base price).
# A product takes 1–6 of them. Integer arithmetic only: no floats near money.
OPTION_SETS: dict[str, list[tuple[dict[str, str], int]]] = {
    "none": [({}, 100)],
    "cloth_size": [
        ({"Size": "45 × 45 cm"}, 100),
        ({"Size": "60 × 60 cm"}, 145),
        ({"Size": "90 × 90 cm"}, 230),
    ],
    "cushion": [({"Size": "40 × 40 cm", "Colour": c}, 100) for c in COLOURWAYS[:3]]
    + [({"Size": "50 × 50 cm", "Colour": c}, 125) for c in COLOURWAYS[:3]],
    "colour": [({"Colour": c}, 100) for c in COLOURWAYS],
    "apparel": [({"Size": s}, 100 if s != "XL" else 106) for s in APPAREL_SIZES],
    "apparel_colour": [
        ({"Colour": c, "Size": s}, 100) for c in ("Indigo", "Black") for s in ("S", "M", "L")
    ],
    "child": [({"Age": a}, 100 + 12 * i) for i, a in enumerate(CHILD_AGES)],
    "sash": [({"Length": f"{n} cm"}, 100 + (n - 180) * 2 // 5) for n in (180, 220, 260)],
    "metal": [({"Metal": "Sterling silver"}, 100), ({"Metal": "Silver-plated brass"}, 45)],
    "metal_length": [
        ({"Metal": m, "Length": f"{n} cm"}, pct * (100 + (n - 40) * 2) // 100)
        for m, pct in (("Sterling silver", 100), ("Silver-plated brass", 45))
        for n in (40, 45, 50)
    ],
    "metal_size": [
        ({"Metal": m, "Size": s}, pct)
        for m, pct in (("Sterling silver", 100), ("Silver-plated brass", 45))
        for s in ("S", "M", "L")
    ],
    "basket": [({"Size": "Small"}, 100), ({"Size": "Medium"}, 140), ({"Size": "Large"}, 190)],
    "fabric": [({"Length": "1 m"}, 100), ({"Length": "2 m"}, 190), ({"Length": "3 m"}, 270)],
    "runner": [
        ({"Length": "120 cm"}, 100),
        ({"Length": "150 cm"}, 120),
        ({"Length": "180 cm"}, 140),
    ],
    "set": [({"Set": "Set of 2"}, 100), ({"Set": "Set of 4"}, 180), ({"Set": "Set of 6"}, 250)],
}


@dataclass(frozen=True)
class Kind:
    """A kind of product (e.g. pillow cover); each variation makes one product."""

    category: str
    title: str  # with {v} for the variation's title part
    text: str  # description; {d} takes the variation's sentence
    options: str
    usd: tuple[int, int]  # price range of the base variant, in US cents
    stores: tuple[str, ...]
    variations: tuple[tuple[str, str], ...]  # (title part, sentence)
    free_return: float = 0.3
    warranty: float = 0.0


MOTIFS = (
    ("Snail-shell", "The squared snail-shell spiral winds in from the edge, cut in one piece."),
    ("Elephant-foot", "Four rounded lobes around a small cross, the elephant's-foot figure."),
    ("Ram's-horn", "Curling ram's-horn hooks face each other across the centre."),
    ("Heart", "Small hearts sit inside a frame of stepped triangles."),
    ("Cucumber-seed", "Rows of pointed cucumber-seed shapes fill the field."),
    ("Spider-web", "A fine spider-web lattice radiates from the middle."),
    ("Star", "An eight-pointed star built from tiny triangles."),
)

SCENES = (
    (
        "village life in the mountains",
        "a hillside village at work: feeding pigs, pounding rice and carrying firewood home",
    ),
    (
        "rice planting season",
        "families planting rice on steep terraces while the rain clouds gather",
    ),
    (
        "the New Year ball toss",
        "young people in their best clothes tossing cloth balls at New Year",
    ),
    ("crossing the Mekong", "the night crossing of the river, families holding on to bamboo rafts"),
    (
        "the flood legend",
        "the old tale of the brother and sister who survived the great flood in a drum",
    ),
    ("market day", "a busy market with traders, buffalo, baskets of chillies and bolts of cloth"),
    ("the corn harvest", "the corn harvest, with every ear carried down the slope in back baskets"),
    ("a wedding procession", "a wedding party walking between two villages with gifts and music"),
    ("animals of the forest", "tigers, deer, birds and monkeys among the trees of the forest"),
    (
        "the silversmith's workshop",
        "a silversmith at his bellows, hammering a neck ring on the anvil",
    ),
    (
        "a journey to a new home",
        "a family's long journey from the hills to a new home across the ocean",
    ),
    (
        "the alphabet and its animals",
        "the letters of the alphabet, each one beside an animal or a plant",
    ),
    (
        "fishing in the mountain stream",
        "grandparents and children fishing with nets and scoop baskets",
    ),
    (
        "the hunters' return",
        "hunters coming home at dusk while the village lights its cooking fires",
    ),
)

KINDS: list[Kind] = [
    Kind(
        "story-cloths",
        "Story cloth: {v}",
        "A hand-embroidered picture of {d}. Every figure, animal and house is outlined in tiny "
        "stitches, and a border of sawtooth triangles frames the scene. Ready to hang or frame.",
        "cloth_size",
        (6000, 24000),
        ("fresno-story-cloth", "paj-ntaub-house", "luang-prabang-loom"),
        SCENES,
        free_return=0.4,
    ),
    Kind(
        "reverse-applique",
        "{v} reverse appliqué square",
        "A square of paj ntaub in several layers of cotton. {d} Each fold is turned under and "
        "blind-stitched, so the lines stay crisp. Lovely framed, or sewn onto a bag or cushion.",
        "colour",
        (2500, 9000),
        ("paj-ntaub-house", "atelier-nyiaj-nimes", "luang-prabang-loom"),
        MOTIFS,
    ),
    Kind(
        "home-decor",
        "{v} quilt",
        "A bed quilt pieced, appliquéd and quilted entirely by hand, with cotton batting. {d}",
        "none",
        (18000, 42000),
        ("paj-ntaub-house", "fresno-story-cloth"),
        (
            (
                "Sawtooth-star",
                "Rows of sawtooth stars on a cream ground, with a wide indigo border.",
            ),
            (
                "Snail-shell medallion",
                "One large snail-shell medallion in the centre, ringed by triangles.",
            ),
            (
                "Indigo patchwork",
                "Squares of hand-dyed indigo in every shade, from sky to midnight.",
            ),
        ),
        free_return=0.2,
    ),
    Kind(
        "paj-ntaub",
        "{v}",
        "Everything you need to start, with a printed guide in simple steps. {d}",
        "none",
        (1500, 4500),
        ("paj-ntaub-house", "atelier-nyiaj-nimes", "fresno-story-cloth"),
        (
            (
                "Reverse appliqué starter kit",
                "Pre-marked layers of cotton, needles and matching thread.",
            ),
            (
                "Cross-stitch starter kit",
                "A chart, black even-weave cloth and a bundle of bright threads.",
            ),
            (
                "Batik wax pen and beeswax kit",
                "A copper wax pen, a block of beeswax and a hemp panel.",
            ),
            (
                "Paj ntaub needle and thread roll",
                "Fine needles and twelve colours of thread in a cloth roll.",
            ),
        ),
        free_return=0.6,
    ),
    Kind(
        "home-decor",
        "{v} paj ntaub pillow cover",
        "A cushion cover with a reverse-appliqué front and a plain cotton back with a hidden zip. "
        "{d} Insert not included.",
        "cushion",
        (3200, 6500),
        ("atelier-nyiaj-nimes", "paj-ntaub-house"),
        MOTIFS,
        free_return=0.6,
    ),
    Kind(
        "home-decor",
        "{v} table runner",
        "A long runner in hand-loomed cotton with a band of needlework at each end. {d} "
        "Washes gently by hand.",
        "runner",
        (3800, 8500),
        ("sa-pa-indigo", "atelier-nyiaj-nimes", "guizhou-wax-thread"),
        (
            ("Indigo batik", "The centre is indigo batik drawn with beeswax."),
            ("Cross-stitch border", "Both ends carry a deep cross-stitch border in red and gold."),
            ("Snail-shell appliqué", "A line of snail-shell spirals marches down the middle."),
        ),
        free_return=0.5,
    ),
    Kind(
        "home-decor",
        "{v} wall hanging",
        "A wall piece on a bamboo rod, ready to hang. {d}",
        "cloth_size",
        (5500, 16000),
        ("paj-ntaub-house", "fresno-story-cloth", "luang-prabang-loom"),
        (
            ("Eight-star quilt", "Eight stars of reverse appliqué on a deep indigo ground."),
            ("Rainbow sash-band", "Strips of old sash embroidery pieced into a bright panel."),
            (
                "Mountain and river",
                "Zigzag mountains above a wavy river, stitched in cream on black.",
            ),
        ),
        free_return=0.4,
    ),
    Kind(
        "cross-stitch",
        "Cross-stitch {v}",
        "Counted cross-stitch in bright cotton thread on black cloth. {d}",
        "colour",
        (1800, 7500),
        ("sa-pa-indigo", "paj-ntaub-house", "guizhou-wax-thread"),
        (
            ("collar panel", "A square collar panel, the kind sewn onto the back of a jacket."),
            ("sleeve bands", "A pair of bands for the cuffs of a jacket or blouse."),
            ("pocket squares", "Two small squares to set into pockets or a bag flap."),
            ("sampler", "A sampler that shows six classic borders side by side."),
            ("belt panel", "A long narrow panel to wear across the front of a sash."),
        ),
    ),
    Kind(
        "necklaces",
        "{v}",
        "Forged and polished by hand. {d} Comes in a cloth pouch with a care card.",
        "metal_length",
        (4500, 26000),
        ("nyiaj-silver-studio", "guizhou-wax-thread", "atelier-nyiaj-nimes"),
        (
            (
                "Single-band silver neck ring",
                "A smooth, heavy neck ring that closes with a simple hook.",
            ),
            (
                "Triple-tier neck ring",
                "Three nested rings, each engraved with a line of tiny flowers.",
            ),
            (
                "Lock (xauv) pendant necklace",
                "A lock-shaped pendant hung with small bells and leaves.",
            ),
            ("Coin-drop collar", "A chain collar hung with a fringe of small stamped coins."),
            ("Fish pendant necklace", "A little fish with scales traced by a fine chisel."),
            ("Butterfly chain necklace", "Two butterflies on a fine rolo chain."),
        ),
        free_return=0.2,
        warranty=0.6,
    ),
    Kind(
        "earrings",
        "{v}",
        "Handmade silver earrings with sterling hooks. {d}",
        "metal",
        (1800, 7500),
        ("nyiaj-silver-studio", "atelier-nyiaj-nimes", "guizhou-wax-thread"),
        (
            ("Spiral hoop earrings", "Wire coiled into a spiral and hammered flat at the ends."),
            ("Filigree drop earrings", "Open filigree drops that catch the light."),
            ("Butterfly dangle earrings", "Tiny butterflies that swing with every step."),
            ("Coin-tassel earrings", "Tassels of small coins that ring softly."),
            ("Small hammered hoops", "Everyday hoops with a hammered finish."),
            ("Leaf chandelier earrings", "Three tiers of silver leaves."),
        ),
        free_return=0.3,
        warranty=0.5,
    ),
    Kind(
        "bracelets",
        "{v}",
        "Solid handmade silver, shaped on a wooden mandrel. {d}",
        "metal_size",
        (2200, 12000),
        ("nyiaj-silver-studio", "guizhou-wax-thread"),
        (
            ("Twisted-wire bangle", "Four strands of wire twisted together and joined."),
            ("Engraved cuff", "A wide cuff engraved with a band of stepped diamonds."),
            ("Bell charm bracelet", "A chain bracelet hung with five little bells."),
            ("Coiled silver ring", "A ring coiled three times around the finger."),
            ("Flower-stamped cuff", "A narrow cuff stamped with a row of flowers."),
            ("Bell chain ring", "A slim ring with a tiny bell on a short chain."),
        ),
        free_return=0.2,
        warranty=0.6,
    ),
    Kind(
        "batik-indigo",
        "Indigo batik fabric: {v}",
        "Hand-woven hemp, drawn with hot beeswax using a small copper pen, dyed in indigo many "
        "times and boiled to lift the wax. {d} Sold by length, about 40 cm wide.",
        "fabric",
        (2000, 5500),
        ("sa-pa-indigo", "guizhou-wax-thread", "luang-prabang-loom"),
        (
            ("beeswax spirals", "Rows of spirals between straight lines, drawn freehand."),
            ("birds and flowers", "Small birds perched among open flowers."),
            ("bronze-drum star", "The sun-star of the old bronze drums, repeated in circles."),
            ("fern fronds", "Unfurling fern fronds in a diagonal rhythm."),
        ),
        free_return=0.2,
    ),
    Kind(
        "batik-indigo",
        "{v}",
        "Dyed in indigo vats kept going for years. {d}",
        "colour",
        (2400, 9500),
        ("sa-pa-indigo", "guizhou-wax-thread", "luang-prabang-loom"),
        (
            ("Batik hemp scarf", "A long scarf of soft hemp with a batik border at each end."),
            ("Indigo hemp throw", "A heavy throw of pieced hemp panels in three shades of blue."),
            ("Batik tablecloth", "A square tablecloth with a wide batik border of spirals."),
            ("Shibori-dot indigo bandana", "A cotton bandana tied and dyed into tiny white dots."),
            ("Indigo kitchen towels", "Two plain-weave cotton towels, dyed a deep blue."),
        ),
        free_return=0.3,
    ),
    Kind(
        "baskets-bamboo",
        "{v}",
        "Split bamboo and rattan, woven tight by hand. {d}",
        "basket",
        (1500, 9000),
        ("luang-prabang-loom", "nan-valley-crafts"),
        (
            (
                "Back-carrying basket",
                "The tall basket worn on the back with shoulder straps of bark.",
            ),
            (
                "Sticky-rice serving basket",
                "A small lidded basket that keeps rice warm at the table.",
            ),
            ("Rice steaming basket", "A cone-shaped steamer to set over a pot."),
            ("Winnowing tray", "A wide round tray for tossing rice and drying chillies."),
            ("Lidded storage basket", "A square basket with a snug lid, for threads or papers."),
            ("Rattan market bag", "A sturdy open bag with rattan handles."),
            ("Bamboo fruit bowl", "A shallow open-weave bowl for fruit or bread."),
        ),
        free_return=0.3,
        warranty=0.4,
    ),
    Kind(
        "womens-clothing",
        "{v}",
        "Sewn by hand for the New Year and special days, and just as good for every day. {d}",
        "apparel",
        (6500, 32000),
        ("sa-pa-indigo", "paj-ntaub-house", "atelier-nyiaj-nimes", "guizhou-wax-thread"),
        (
            (
                "Green Hmong pleated skirt",
                "A full skirt with hundreds of narrow pleats and a batik band.",
            ),
            ("White Hmong batik skirt", "A pleated hemp skirt with a cross-stitch hem."),
            (
                "Embroidered New Year jacket",
                "A black jacket with appliqué on the collar and cuffs.",
            ),
            (
                "Velvet blouse with paj ntaub collar",
                "A soft velvet blouse with a square embroidered collar.",
            ),
            ("Indigo wrap top", "A loose wrap top in indigo hemp that ties at the side."),
            (
                "Embroidered leggings wrap",
                "A pair of wraps with cross-stitch bands for the calves.",
            ),
        ),
        free_return=0.5,
    ),
    Kind(
        "mens-clothing",
        "{v}",
        "Made the traditional way, cut generously. {d}",
        "apparel_colour",
        (5500, 22000),
        ("sa-pa-indigo", "paj-ntaub-house", "guizhou-wax-thread"),
        (
            ("Men's New Year jacket", "A short jacket with a bright embroidered front panel."),
            ("Men's embroidered vest", "A vest with silver buttons and appliqué pockets."),
            (
                "Wide-leg indigo trousers",
                "Roomy trousers in indigo cotton with a drawstring waist.",
            ),
            ("Men's sash-and-shirt set", "A black shirt with a long red sash to tie at the waist."),
            (
                "Men's indigo hemp shirt",
                "A collarless shirt in hand-woven hemp with cloth-knot buttons.",
            ),
        ),
        free_return=0.5,
    ),
    Kind(
        "childrens-clothing",
        "{v}",
        "Sized for children and sewn to last through a few New Years. {d}",
        "child",
        (3500, 12000),
        ("nan-valley-crafts", "sa-pa-indigo", "paj-ntaub-house"),
        (
            (
                "Child's New Year outfit",
                "A jacket, trousers and sash, all with matching needlework.",
            ),
            ("Girl's pleated skirt", "A small pleated skirt with a cross-stitch hem."),
            ("Boy's embroidered vest", "A little vest with coin trim and appliqué pockets."),
            ("Baby bonnet with pom-poms", "A soft bonnet topped with bright pom-poms."),
            ("Toddler's embroidered jacket", "A warm quilted jacket with embroidered sleeves."),
        ),
        free_return=0.5,
    ),
    Kind(
        "sashes-aprons",
        "{v}",
        "To finish a festival outfit. {d}",
        "sash",
        (2500, 9000),
        ("paj-ntaub-house", "atelier-nyiaj-nimes", "sa-pa-indigo"),
        (
            ("Embroidered waist sash", "A long sash with embroidered ends that hang at the front."),
            ("Cross-stitch front apron", "A front apron covered in counted cross-stitch."),
            ("Coin-decorated apron", "An apron trimmed with rows of stamped coins."),
            ("Pom-pom belt", "A woven belt hung with a line of bright pom-poms."),
        ),
    ),
    Kind(
        "bags-purses",
        "{v}",
        "Lined with cotton and finished with a strong zip or button. {d}",
        "colour",
        (1500, 8500),
        ("atelier-nyiaj-nimes", "sa-pa-indigo", "paj-ntaub-house", "guizhou-wax-thread"),
        (
            ("Paj ntaub shoulder bag", "A roomy bag with a reverse-appliqué panel on the front."),
            ("Embroidered coin purse", "A small zipped purse for coins and cards."),
            ("Batik phone pouch", "A padded pouch on a long strap, sized for a phone."),
            ("Story-cloth tote", "A canvas tote with a small story-cloth scene sewn on."),
            ("Cross-stitch laptop sleeve", "A padded sleeve that fits a 13-inch laptop."),
            ("Indigo drawstring pouch", "A soft pouch for jewellery or small things."),
        ),
        free_return=0.5,
    ),
    Kind(
        "hats-headwear",
        "{v}",
        "Handmade and adjustable. {d}",
        "colour",
        (1800, 6500),
        ("nan-valley-crafts", "sa-pa-indigo", "paj-ntaub-house"),
        (
            ("Pom-pom hat", "A round cap covered in bright pom-poms, for children and adults."),
            ("Embroidered turban wrap", "A long wrap with embroidered ends, easy to tie."),
            ("Bucket hat with paj ntaub band", "A cotton bucket hat with a band of needlework."),
            ("Beaded headband", "A headband embroidered and trimmed with small beads."),
        ),
    ),
    Kind(
        "baby-carriers",
        "{v}",
        "Sewn for carrying a little one on the back, the way Hmong families always have. {d}",
        "colour",
        (4500, 18000),
        ("nan-valley-crafts", "paj-ntaub-house"),
        (
            ("Baby carrier with reverse appliqué", "A padded carrier with a large appliqué panel."),
            ("Baby carrier cover", "A cover with a flower border that keeps off sun and wind."),
            ("Cross-stitch baby carrier", "A carrier panel worked entirely in cross-stitch."),
        ),
        free_return=0.3,
        warranty=0.3,
    ),
    Kind(
        "keepsakes-gifts",
        "{v}",
        "A small handmade gift, wrapped in recycled paper. {d}",
        "set",
        (800, 4500),
        ("fresno-story-cloth", "atelier-nyiaj-nimes", "nan-valley-crafts"),
        (
            ("Paj ntaub ornaments", "Little stuffed ornaments with appliqué diamonds."),
            ("Embroidered greeting cards", "Cards with a real patch of needlework on the front."),
            ("Story-cloth coasters", "Coasters each with a tiny stitched scene."),
            ("Paj ntaub bookmarks", "Bookmarks with a cross-stitch strip and a tassel."),
            ("Miniature qeej ornament", "A small bamboo model of the qeej, the reed pipe."),
            ("Pom-pom key rings", "Key rings with a bright pom-pom and a silver bell."),
        ),
        free_return=0.4,
    ),
]


@dataclass
class VariantSpec:
    sku: str
    options: dict[str, str]
    price_minor: int
    stock: int


@dataclass
class ProductSpec:
    slug: str
    title: str
    category: str
    store: str
    description: str
    currency: str
    processing_days: int
    free_return: bool
    warranty: bool
    domestic_delivery: bool
    warehouse_country: str
    variants: list[VariantSpec] = field(default_factory=list)
    image_count: int = 1


def _rng(key: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


def _build(
    kind: Kind, variation: tuple[str, str], index: int, *, title: str, slug: str
) -> ProductSpec:
    rng = _rng(slug)
    store = STORE_BY_KEY[kind.stores[index % len(kind.stores)]]
    part, sentence = variation
    description = kind.text.format(d=sentence, v=part)
    description += f"\n\nMade in {store.city} by {store.name}."
    choices = OPTION_SETS[kind.options]
    count = 1 if len(choices) == 1 else rng.randint(1, min(6, len(choices)))
    picked = choices[:count] if kind.options != "colour" else rng.sample(choices, count)
    base_usd = rng.randrange(kind.usd[0], kind.usd[1] + 1, 100)
    sold_out = index % 17 == 5  # a few products with no stock at all
    variants = []
    for i, (options, percent) in enumerate(picked):
        stock = 0 if sold_out or rng.random() < 0.1 else rng.randint(1, 25)
        variants.append(
            VariantSpec(
                sku=f"{store.key[:3].upper()}-{hash_int(slug) % 100000:05d}-{i + 1}",
                options=dict(options),
                price_minor=shop_price(base_usd * percent // 100, store.currency),
                stock=stock,
            )
        )
    domestic = bool(store.warehouse_country) and rng.random() < 0.4
    if not domestic and store.ships_from == "US" and rng.random() < 0.2:
        domestic, warehouse = True, "US"
    else:
        warehouse = store.warehouse_country if domestic else ""
    return ProductSpec(
        slug=slug,
        title=title,
        category=kind.category,
        store=store.key,
        description=description,
        currency=store.currency,
        processing_days=rng.randint(2, 15),
        free_return=rng.random() < kind.free_return,
        warranty=rng.random() < kind.warranty,
        domestic_delivery=domestic,
        warehouse_country=warehouse,
        variants=variants,
        image_count=rng.randint(1, 3),
    )


def hash_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


def curated_products() -> list[ProductSpec]:
    """The hand-described catalog, about 120 products, always in the same order."""
    out = []
    for kind in KINDS:
        for index, variation in enumerate(kind.variations):
            title = kind.title.format(v=variation[0])
            title = title[0].upper() + title[1:]
            out.append(_build(kind, variation, index, title=title, slug=slugify(title)))
    return out


def extra_products(count: int) -> list[ProductSpec]:
    """More products for load tests: the curated kinds again, numbered ("… No. 12")."""
    pairs = [
        (kind, index, variation)
        for kind in KINDS
        for index, variation in enumerate(kind.variations)
    ]
    out = []
    for n in range(count):
        kind, index, variation = pairs[n % len(pairs)]
        number = n + 1
        title = kind.title.format(v=variation[0])
        title = f"{title[0].upper()}{title[1:]} · No. {number}"
        out.append(_build(kind, variation, index + number, title=title, slug=slugify(title)))
    return out


# --- Holidays ----------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    day = date(year, month, 1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return day + timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> list[tuple[date, str]]:
    """The US federal holidays of `year`, on the day they are observed."""
    mon, thu = 0, 3
    return [
        (_observed(date(year, 1, 1)), "New Year's Day"),
        (_nth_weekday(year, 1, mon, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, mon, 3), "Washington's Birthday"),
        (_last_weekday(year, 5, mon), "Memorial Day"),
        (_observed(date(year, 6, 19)), "Juneteenth National Independence Day"),
        (_observed(date(year, 7, 4)), "Independence Day"),
        (_nth_weekday(year, 9, mon, 1), "Labor Day"),
        (_nth_weekday(year, 10, mon, 2), "Columbus Day"),
        (_observed(date(year, 11, 11)), "Veterans Day"),
        (_nth_weekday(year, 11, thu, 4), "Thanksgiving Day"),
        (_observed(date(year, 12, 25)), "Christmas Day"),
    ]


HOLIDAY_YEARS = (2026, 2027)

# Products the buyer keeps on the wish list (by title).
WISHED_TITLES = [
    "Story cloth: the New Year ball toss",
    "Lock (xauv) pendant necklace",
    "Snail-shell reverse appliqué square",
    "Back-carrying basket",
]
