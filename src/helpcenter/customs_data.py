"""The shipped customs notes per destination country and the local post office contacts (HLP-3).

Loaded once by helpcenter.loader; afterwards staff keep them up to date in the back office
(/backoffice/help/customs/). Limits and rates change: the page says so and shows when each
entry was last reviewed. The post office rows are the seed help center's table (whose
country names we restored from the dialling codes), plus each office's website.
"""

# (country, duties and VAT thresholds, notes, customs authority website)
_EU = (
    "Import VAT is due on every parcel from outside the European Union, whatever it is worth. "
    "Customs duty is usually waived when the goods are worth 150 euros or less; above that, "
    "duty depends on the kind of item."
)
_EU_NOTE = (
    "If VAT was not paid at checkout, the carrier asks for it before delivery, often with a handling fee."
)

CUSTOMS = [
    ("US", "Low-value parcels no longer enter free of duty: expect duties on most imports, whatever "
     "their value. There is no national VAT.",
     "The carrier pays the duty and bills you before or at delivery.", "https://www.cbp.gov/"),
    ("FR", _EU, _EU_NOTE, "https://www.douane.gouv.fr/"),
    ("DE", _EU, _EU_NOTE, "https://www.zoll.de/"),
    ("IT", _EU, _EU_NOTE, "https://www.adm.gov.it/"),
    ("PL", _EU, _EU_NOTE, "https://www.podatki.gov.pl/"),
    ("GB", "VAT is due on every parcel. On goods worth up to 135 pounds it is usually charged when "
     "you buy; above that, VAT and any duty are collected on import.",
     "Carriers usually add a handling fee when they collect charges for you.", "https://www.gov.uk/"),
    ("CA", "Low-value parcels may enter without duty or tax; the limits differ between postal and "
     "courier shipments.", "Canada Post or the courier collects what is due before delivery.",
     "https://www.cbsa-asfc.gc.ca/"),
    ("AU", "Goods worth up to 1,000 Australian dollars are free of duty, but GST (10%) applies to them.",
     "", "https://www.abf.gov.au/"),
    ("RU", "Personal imports are duty free up to a value and weight limit per parcel; above it, "
     "duty is charged on the part over the limit.", "", "https://customs.gov.ru/"),
    ("MX", "Parcels above a small value pay import taxes; courier shipments are often taxed at a "
     "simplified flat rate.", "", "https://www.anam.gob.mx/"),
    ("BR", "Import tax applies to international purchases, with a higher rate above 50 US dollars, "
     "and your state adds its own tax (ICMS).", "Correios collect the taxes before delivery.",
     "https://www.gov.br/receitafederal/"),
    ("AE", "Parcels worth up to 1,000 dirhams are usually free of duty; VAT (5%) may apply.", "",
     "https://icp.gov.ae/"),
    ("SA", "Parcels worth up to 1,000 riyals are usually free of duty; VAT (15%) applies to imports.", "",
     "https://zatca.gov.sa/"),
    ("UA", "Parcels above a set value pay duty and VAT on the part over the limit.", "",
     "https://customs.gov.ua/"),
    ("CL", "Low-value purchases are free of duty, but VAT applies to imported goods.", "",
     "https://www.aduana.cl/"),
    ("TR", "Postal and courier imports have a low duty-free limit; above it a flat-rate tax applies.",
     "", "https://www.ticaret.gov.tr/"),
    ("TH", "Parcels above a small value pay duty and VAT (7%).", "", "https://www.customs.go.th/"),
]

# (country, name, phone, website) — the seed's table of local post offices.
POST_OFFICES = [
    ("RU", "Russian Post", "(+7 495) 744 55 44", "https://www.pochta.ru/"),
    ("MX", "Correos de México", "(+52 55) 53 85 09 67", "https://www.correosdemexico.gob.mx/"),
    ("AE", "Emirates Post", "(+971) 600599999", "https://www.emiratespost.ae/"),
    ("SA", "Saudi Post (SPL)", "(+966) 920001144", "https://splonline.com.sa/"),
    ("IT", "Poste Italiane", "803160 (free from landlines)", "https://www.poste.it/"),
    ("BR", "Correios", "0800 725 0100", "https://www.correios.com.br/"),
    ("UA", "Ukrposhta", "(+380 44) 235 33 81", "https://www.ukrposhta.ua/"),
    ("PL", "Poczta Polska", "(+48 22) 548 15 06", "https://www.pocztapolska.pl/"),
    ("FR", "Chronopost", "0969 391 391", "https://www.chronopost.fr/"),
    ("FR", "Colissimo (La Poste)", "0825 878 888", "https://www.laposte.fr/"),
    ("CL", "Correos de Chile", "600 950 2020; (+56 2) 2956 0303", "https://www.correos.cl/"),
    ("TR", "PTT", "(+90 212) 337 10 30", "https://www.ptt.gov.tr/"),
    ("US", "USPS", "(+1 800) 222 1811", "https://www.usps.com/"),
]
