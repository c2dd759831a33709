"""The back office's words: records, their fields, what a form says about them, the roles,
and every country as a form offers it (`registry.labels` holds the words both wings read)."""

from __future__ import annotations

from registry.labels import COUNTRY_NAMES

# Every other code of ISO 3166-1, for the choices of a form (the sentences above name the
# countries a verdict usually meets, with their article where Dutch puts one).
_MORE_COUNTRIES = dict(pair.split("=") for pair in """AF=Afghanistan;AG=Antigua en Barbuda;
AI=Anguilla;AL=Albanië;AM=Armenië;AO=Angola;AQ=Antarctica;AS=Amerikaans-Samoa;AW=Aruba;
AX=Åland;AZ=Azerbeidzjan;BA=Bosnië en Herzegovina;BB=Barbados;BD=Bangladesh;BF=Burkina Faso;
BH=Bahrein;BI=Burundi;BJ=Benin;BL=Saint-Barthélemy;BM=Bermuda;BN=Brunei;BO=Bolivia;
BQ=Caribisch Nederland;BS=Bahama's;BT=Bhutan;BV=Bouveteiland;BW=Botswana;BY=Belarus;
BZ=Belize;CC=Cocoseilanden;CD=Congo-Kinshasa;CF=Centraal-Afrikaanse Republiek;
CG=Congo-Brazzaville;CI=Ivoorkust;CK=Cookeilanden;CM=Kameroen;CR=Costa Rica;CU=Cuba;
CV=Kaapverdië;CW=Curaçao;CX=Christmaseiland;DJ=Djibouti;DM=Dominica;
DO=Dominicaanse Republiek;DZ=Algerije;EC=Ecuador;EH=Westelijke Sahara;ER=Eritrea;
ET=Ethiopië;FJ=Fiji;FK=Falklandeilanden;FM=Micronesia;GA=Gabon;GD=Grenada;GE=Georgië;
GF=Frans-Guyana;GH=Ghana;GI=Gibraltar;GL=Groenland;GM=Gambia;GN=Guinee;GP=Guadeloupe;
GQ=Equatoriaal-Guinea;GS=Zuid-Georgia en de Zuidelijke Sandwicheilanden;GT=Guatemala;
GU=Guam;GW=Guinee-Bissau;GY=Guyana;HM=Heard en McDonaldeilanden;HN=Honduras;HT=Haïti;
IO=Brits Indische Oceaanterritorium;IQ=Irak;IR=Iran;JM=Jamaica;JO=Jordanië;KG=Kirgizië;
KH=Cambodja;KI=Kiribati;KM=Comoren;KN=Saint Kitts en Nevis;KP=Noord-Korea;KW=Koeweit;
KY=Kaaimaneilanden;KZ=Kazachstan;LA=Laos;LB=Libanon;LC=Saint Lucia;LK=Sri Lanka;
LR=Liberia;LS=Lesotho;LY=Libië;MD=Moldavië;ME=Montenegro;MF=Sint-Maarten (Frans deel);
MG=Madagaskar;MH=Marshalleilanden;MK=Noord-Macedonië;ML=Mali;MM=Myanmar;MN=Mongolië;
MO=Macau;MP=Noordelijke Marianen;MQ=Martinique;MR=Mauritanië;MS=Montserrat;MU=Mauritius;
MV=Maldiven;MW=Malawi;MZ=Mozambique;NA=Namibië;NC=Nieuw-Caledonië;NE=Niger;NF=Norfolk;
NI=Nicaragua;NP=Nepal;NR=Nauru;NU=Niue;OM=Oman;PA=Panama;PE=Peru;PF=Frans-Polynesië;
PG=Papoea-Nieuw-Guinea;PM=Saint-Pierre en Miquelon;PN=Pitcairneilanden;PR=Puerto Rico;
PS=Palestina;PW=Palau;PY=Paraguay;QA=Qatar;RE=Réunion;RW=Rwanda;SB=Salomonseilanden;
SC=Seychellen;SD=Soedan;SH=Sint-Helena;SJ=Spitsbergen en Jan Mayen;SL=Sierra Leone;
SN=Senegal;SO=Somalië;SR=Suriname;SS=Zuid-Soedan;ST=Sao Tomé en Principe;SV=El Salvador;
SX=Sint Maarten;SY=Syrië;SZ=Eswatini;TC=Turks- en Caicoseilanden;TD=Tsjaad;
TF=Franse Zuidelijke Gebieden;TG=Togo;TJ=Tadzjikistan;TK=Tokelau;TL=Oost-Timor;
TM=Turkmenistan;TN=Tunesië;TO=Tonga;TT=Trinidad en Tobago;TV=Tuvalu;TZ=Tanzania;
UG=Oeganda;UM=Kleine afgelegen eilanden van de Verenigde Staten;UZ=Oezbekistan;
VA=Vaticaanstad;VC=Saint Vincent en de Grenadines;VE=Venezuela;VG=Britse Maagdeneilanden;
VI=Amerikaanse Maagdeneilanden;VU=Vanuatu;WF=Wallis en Futuna;WS=Samoa;YE=Jemen;
YT=Mayotte;ZM=Zambia;ZW=Zimbabwe""".replace("\n", "").split(";"))


def _bare(phrase: str) -> str:
    """'het Verenigd Koninkrijk' → 'Verenigd Koninkrijk': a country as a choice."""
    for article in ("de ", "het "):
        phrase = phrase.removeprefix(article)
    return phrase[:1].upper() + phrase[1:]


COUNTRY_LABELS = {code: _bare(name) for code, name in {**COUNTRY_NAMES, **_MORE_COUNTRIES}.items()}
"""Every ISO 3166-1 code with its Dutch name, as a form offers them."""


# --- the back office: records, their fields and what a form says about them ---------------------

RECORD_WORDS = {
    "vendors": ("leverancier", "leveranciers", "de leverancier"),
    "tools": ("tool", "tools", "de tool"),
    "agreements": ("verwerkersovereenkomst", "verwerkersovereenkomsten",
                   "de verwerkersovereenkomst"),
    "assessments": ("beoordeling", "beoordelingen", "de beoordeling"),
    "boards": ("schoolbestuur", "schoolbesturen", "het schoolbestuur"),
    "board_decisions": ("besluit van een bestuur", "besluiten van besturen", "het besluit"),
}
"""Per kind of record (its code): one, many, and one with its article."""
CHAIN_ROLE_LABELS = {
    "LAS": "Leerlingadministratiesysteem (LAS)",
    "ELO": "Elektronische leeromgeving (ELO)",
    "distributor": "Distributeur",
    "publisher": "Uitgever",
    "other": "Andere rol",
}
ASSESSMENT_STATUS_LABELS = {"draft": "Concept", "final": "Definitief", "withdrawn": "Ingetrokken"}
ACTION_LABELS = {
    "create": "Aangemaakt",
    "update": "Gewijzigd",
    "archive": "Gearchiveerd",
    "restore": "Teruggezet uit het archief",
    "import": "Geïmporteerd",
}
"""What an event of the audit log did to a record."""
YES_NO = {True: "Ja", False: "Nee"}
EMPTY = "(leeg)"

FIELD_LABELS = {
    "id": "Id",
    "name": "Naam",
    "kvk_number": "KvK-nummer",
    "country": "Land",
    "vendors.country": "Land van vestiging",
    "website": "Website",
    "covenant_status": "Privacyconvenant Onderwijs",
    "covenant_since": "Deelnemer of medestander sinds",
    "certifications": "Certificeringen",
    "certifications.name": "Certificering",
    "certifications.certified_on": "Gecertificeerd op",
    "certifications.valid_until": "Certificaat geldig tot en met",
    "privacy_contact": "Contactpersoon privacy",
    "privacy_contact.name": "Naam van de contactpersoon",
    "privacy_contact.email": "E-mailadres",
    "privacy_contact.phone": "Telefoonnummer",
    "internal_notes": "Interne notities",
    "vendor_id": "Leverancier",
    "description": "Omschrijving",
    "domains": "Domeinnamen",
    "domains.host": "Domeinnaam",
    "domains.include_subdomains": "Subdomeinen horen erbij",
    "category": "Soort tool",
    "levels": "Onderwijssoorten",
    "audience": "Wie gebruikt de tool",
    "free_of_charge": "Gratis te gebruiken",
    "minimum_age": "Minimumleeftijd",
    "usable_without_personal_data": "Bruikbaar zonder persoonsgegevens",
    "processes_personal_data": "Verwerkt persoonsgegevens",
    "data_categories": "Soorten persoonsgegevens",
    "data_categories.name": "Soort gegevens",
    "data_categories.special": "Bijzonder persoonsgegeven",
    "data_categories.bsn": "Burgerservicenummer (BSN)",
    "data_locations": "Landen waar de gegevens staan",
    "data_locations.item": "Land",
    "sub_processors": "Subverwerkers",
    "sub_processors.name": "Naam van de subverwerker",
    "sub_processors.activity": "Wat de subverwerker doet",
    "sub_processors.country": "Land van de subverwerker",
    "retention": "Bewaartermijn",
    "no_commercial_use": "Geen commercieel gebruik van de gegevens",
    "no_ads": "Geen advertenties",
    "no_profiling": "Geen profilering",
    "pseudonymisation": "Wet pseudonimisering leerlinggegevens",
    "pseudonymisation.status": "Voldoet de tool aan de wet",
    "pseudonymisation.chain_role": "Rol in de keten van leermiddelen",
    "pseudonymisation.uses_eck_id": "Gebruikt het ECK iD",
    "pseudonymisation.checked_on": "Gecontroleerd op",
    "pseudonymisation.evidence_url": "Bewijs (webadres)",
    "tool_ids": "Tools onder deze overeenkomst",
    "tool_ids.item": "Tool",
    "model_version": "Model van de overeenkomst",
    "status": "Status",
    "signed_on": "Getekend op",
    "expires_on": "Geldig tot en met",
    "deviations": "Wijkt af van het model",
    "deviations_summary": "Samenvatting van de afwijkingen",
    "privacybijsluiter_url": "Privacybijsluiter (webadres)",
    "privacybijsluiter_version": "Versie van de privacybijsluiter",
    "party": "Partij",
    "boards.id": "Bestuursnummer (DUO)",
    "school_types": "Soorten onderwijs",
    "school_types.item": "Soort onderwijs",
    "schools": "Scholen (BRIN- of vestigingscodes)",
    "schools.item": "BRIN- of vestigingscode",
    "board_id": "Schoolbestuur",
    "board_decisions.tool_id": "Tool",
    "decision": "Besluit",
    "not_allowed": "Niet toegestaan op de scholen van het bestuur",
    "board_decisions.conditions": "Voorwaarden van het bestuur",
    "reason": "Waarom (openbaar)",
    "decided_on": "Besloten op",
    "decided_by": "Besloten door",
    "ends_on": "Geldig tot en met",
    "tool_id": "Beoordeelde tool",
    "kind": "Soort beoordeling",
    "assessor": "Beoordeeld door",
    "assessed_on": "Beoordeeld op",
    "valid_until": "Beoordeling geldig tot en met",
    "outcome": "Uitkomst",
    "residual_risk": "Restrisico",
    "risk_counts": "Aantal risico's per niveau",
    "risk_counts.low": "Lage risico's",
    "risk_counts.medium": "Gemiddelde risico's",
    "risk_counts.high": "Hoge risico's",
    "conditions": "Voorwaarden voor gebruik",
    "conditions.item": "Voorwaarde",
    "public_summary": "Openbare samenvatting",
    "source_url": "Bron (webadres)",
    "verdict": "Oordeel",
    "version": "Versie",
    "created_at": "Aangemaakt op",
    "updated_at": "Laatst gewijzigd op",
    "archived_at": "Gearchiveerd op",
}
"""A field's label by its path without list positions ("domains.host"); a kind's own label
first ("vendors.country"), see `field_label`."""

FIELD_HELP = {
    "id": "Een vaste, korte naam voor in webadressen: kleine letters, cijfers en streepjes, "
          "bijvoorbeeld rekenrijk. De id verandert nooit meer.",
    "kvk_number": "Het nummer bij de Kamer van Koophandel: 8 cijfers. Niet verplicht.",
    "vendors.country": "Het land waar de leverancier gevestigd is.",
    "website": "Het volledige webadres, bijvoorbeeld https://www.rekenfabriek.nl.",
    "covenant_status": "Het Privacyconvenant Onderwijs is de afspraak tussen scholen en "
                       "leveranciers over privacy. Een deelnemer gebruikt het Model "
                       "Verwerkersovereenkomst; een medestander het algemene model.",
    "covenant_since": "Alleen invullen als de leverancier deelnemer of medestander is.",
    "certifications": "Bijvoorbeeld ISO 27001 of NEN 7510, met de datum van certificering.",
    "privacy_contact": "Alleen voor intern gebruik: komt nooit op de openbare lijst.",
    "internal_notes": "Alleen voor beheerders: komt nooit op de openbare lijst.",
    "tools.vendor_id": "De leverancier die de tool levert. Kies uit de lijst, of typ de id of "
                       "de naam van de leverancier.",
    "agreements.vendor_id": "De leverancier met wie de overeenkomst is gesloten. Kies uit de "
                            "lijst, of typ de id of de naam van de leverancier.",
    "description": "Wat de tool doet, in een paar zinnen. Komt op de openbare lijst.",
    "domains": "De domeinnamen waarop de tool draait, bijvoorbeeld app.rekenrijk.nl en "
               "login.rekenrijk.nl. Een volledig webadres plakken mag ook: we bewaren er "
               "alleen de domeinnaam van.",
    "domains.include_subdomains": "Aanvinken als ook alle subdomeinen (zoals "
                                  "school.rekenrijk.nl) bij deze tool horen.",
    "levels": "Kies minstens één onderwijssoort.",
    "minimum_age": "Vanaf welke leeftijd de leverancier de tool toestaat. Niet verplicht.",
    "usable_without_personal_data": "Kan een leerling de tool gebruiken zonder account en "
                                    "zonder andere persoonsgegevens in te voeren?",
    "processes_personal_data": "Verwerkt de tool gegevens over leerlingen of medewerkers, "
                               "zoals namen, e-mailadressen of resultaten? Dan is een "
                               "verwerkersovereenkomst nodig.",
    "data_categories": "Welke persoonsgegevens de tool verwerkt, zoals de privacybijsluiter "
                       "ze noemt. Vink aan als het om bijzondere persoonsgegevens gaat (zoals "
                       "gezondheid of godsdienst) of om het burgerservicenummer.",
    "data_locations": "De landen waar de gegevens worden opgeslagen. Leeg betekent: "
                      "onbekend. Dan is een beoordeelde tool niet toegestaan.",
    "sub_processors": "Andere bedrijven die voor de leverancier gegevens verwerken, "
                      "bijvoorbeeld voor hosting of e-mail: wat ze doen en in welk land.",
    "retention": "Hoe lang de gegevens bewaard blijven, bijvoorbeeld: tot een jaar na het "
                 "einde van het abonnement.",
    "no_commercial_use": "De leverancier belooft de gegevens niet te verkopen of voor eigen "
                         "doelen te gebruiken.",
    "no_ads": "De tool toont leerlingen geen advertenties.",
    "no_profiling": "De leverancier maakt geen profielen van leerlingen, bijvoorbeeld om ze "
                    "te volgen of te beïnvloeden.",
    "pseudonymisation": "Volgens deze wet krijgen tools in de keten van leermiddelen niet "
                        "de naam of het leerlingnummer van een leerling, maar een vaste code: "
                        "het ECK iD.",
    "pseudonymisation.status": "Niet van toepassing: de tool krijgt nooit leerlinggegevens "
                               "uit de systemen van school.",
    "pseudonymisation.uses_eck_id": "Het ECK iD is de vaste code (een pseudoniem) die de "
                                    "keten gebruikt in plaats van de naam van een leerling.",
    "pseudonymisation.evidence_url": "Waar staat dat de tool voldoet? Een volledig webadres.",
    "tool_ids": "De tools van deze leverancier waarvoor de overeenkomst geldt, één per regel. "
                "Typ de id of de naam van de tool.",
    "model_version": "Het Model Verwerkersovereenkomst van het Privacyconvenant (nu versie "
                     "4), het algemene model voor medestanders, of een eigen tekst.",
    "agreements.status": "Een overeenkomst telt pas mee als ze getekend is. Verlopen volgt "
                         "vanzelf uit de datum 'Geldig tot en met'.",
    "signed_on": "Verplicht als de overeenkomst getekend is.",
    "expires_on": "De laatste dag waarop de overeenkomst geldt. Leeg: zonder einddatum.",
    "deviations": "Wijkt de overeenkomst af van het model, in een wijzigingsbijlage?",
    "deviations_summary": "Verplicht als de overeenkomst afwijkt van het model.",
    "privacybijsluiter_url": "De privacybijsluiter is de bijlage bij de "
                             "verwerkersovereenkomst die per product zegt welke "
                             "persoonsgegevens de tool verwerkt, waarvoor, waar ze staan, hoe "
                             "lang ze bewaard blijven, welke subverwerkers meedoen en hoe ze "
                             "beveiligd zijn.",
    "party": "Wie de overeenkomst sloot: sector, of het nummer van het schoolbestuur (5 "
             "cijfers). De overeenkomst van een bestuur telt alleen voor dat bestuur.",
    "boards.id": "Het nummer van het bevoegd gezag zoals DUO het publiceert: 5 cijfers.",
    "schools": "De BRIN-codes (99AA) of vestigingscodes (99AA01) van de scholen van het "
               "bestuur, zodat een school haar pagina vindt met haar eigen code.",
    "board_id": "Het schoolbestuur dat besloot: het nummer van 5 cijfers.",
    "decision": "Strenger: de tool mag niet, of alleen met extra voorwaarden. Eigen "
                "goedkeuring: het bestuur staat de tool toe op grond van een eigen "
                "beoordeling en overeenkomst. Geen besluit: het bestuur volgt de sector.",
    "not_allowed": "Alleen bij Strenger: de tool mag op geen enkele school van het bestuur.",
    "board_decisions.conditions": "Korte zinnen die een leraar kan volgen. Verplicht bij "
                                  "Strenger als de tool niet helemaal verboden is.",
    "reason": "Komt op de openbare witte lijst: schrijf het zo dat een leraar het begrijpt.",
    "decided_by": "Het orgaan dat besloot, bijvoorbeeld College van bestuur; geen "
                  "persoonsnaam.",
    "ends_on": "De laatste dag waarop het besluit geldt. Daarna volgt het bestuur weer de "
               "sector. Leeg: zonder einddatum.",
    "tool_id": "De tool die beoordeeld is. Typ de id of de naam van de tool.",
    "kind": "Een DPIA is een gegevensbeschermingseffectbeoordeling (AVG artikel 35). Een "
            "korte privacyscan is een kleiner onderzoek; een beveiligingsonderzoek kijkt "
            "alleen naar de beveiliging.",
    "assessor": "De organisatie die de beoordeling deed.",
    "valid_until": "Leeg: geldig tot een nieuwe beoordeling nodig is (volgens het beleid "
                   "standaard na 24 maanden).",
    "assessments.status": "Alleen een definitieve beoordeling telt mee voor het oordeel. Een "
                          "concept betekent dat de beoordeling nog loopt.",
    "outcome": "Verplicht bij een definitieve beoordeling.",
    "residual_risk": "Het restrisico is het risico voor leerlingen dat overblijft nadat alle "
                     "maatregelen genomen zijn. Is het hoger dan het beleid toestaat "
                     "(standaard: gemiddeld), dan is de tool niet toegestaan. Verplicht bij "
                     "een definitieve beoordeling.",
    "risk_counts": "Hoeveel risico's de beoordeling op elk niveau vond.",
    "conditions": "Korte zinnen die een leraar kan volgen, zoals: Alleen met een "
                  "schoolaccount. Verplicht als de tool onder voorwaarden is goedgekeurd.",
    "public_summary": "Komt op de openbare witte lijst.",
    "source_url": "Waar de beoordeling of het bewijs te vinden is: een volledig webadres.",
}
"""What a field means and what to fill in, keyed as `FIELD_LABELS`."""

FORM_MESSAGES = {
    "required": "Vul dit in.",
    "choose": "Kies een van de mogelijkheden.",
    "choose_one": "Kies er minstens één.",
    "too_long": "Dit is te lang: gebruik hoogstens {limit} tekens.",
    "too_short": "Dit is te kort: gebruik minstens {limit} tekens.",
    "too_many": "Dit zijn er te veel: hoogstens {limit}.",
    "whole_number": "Vul een heel getal in, zonder punt of komma.",
    "number_min": "Vul een getal in van minstens {limit}.",
    "number_max": "Vul een getal in van hoogstens {limit}.",
    "date": "Vul een datum in als dag-maand-jaar, bijvoorbeeld 01-09-2026.",
    "no_such_date": "Deze datum bestaat niet. Vul een datum in als dag-maand-jaar, "
                    "bijvoorbeeld 01-09-2026.",
    "slug": "Gebruik alleen kleine letters, cijfers en streepjes, en begin met een letter of "
            "cijfer; hoogstens 64 tekens. Bijvoorbeeld: rekenrijk.",
    "kvk": "Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678.",
    "url": "Vul een volledig webadres in dat begint met https://, bijvoorbeeld "
           "https://www.rekenrijk.nl/privacy.",
    "host": "Dit is geen domeinnaam. Vul een domeinnaam in zoals app.rekenrijk.nl, of plak "
            "het webadres van de tool.",
    "ip_host": "Dit is een IP-adres. Vul de domeinnaam van de tool in, zoals app.rekenrijk.nl.",
    "email": "Vul een e-mailadres in, zoals privacy@rekenfabriek.nl.",
    "phone": "Vul een telefoonnummer in met alleen cijfers, spaties en + ( ) -.",
    "country": "Kies een land uit de lijst.",
    "invalid": "Dit klopt niet. Controleer wat je hebt ingevuld.",
    "after": "Deze datum moet na '{other}' liggen ({day}).",
    "required_for_status": "Vul dit in: dat is verplicht bij de status '{status}'.",
    "deviations_summary": "Vat de afwijkingen samen: je hebt aangegeven dat de overeenkomst "
                          "afwijkt van het model.",
    "conditions_required": "Noem minstens één voorwaarde: de uitkomst is '{outcome}'.",
    "covenant_since": "Laat dit leeg, of kies eerst of de leverancier deelnemer of "
                      "medestander is.",
    "twice": "Dit staat er twee keer in.",
    "no_record": "Er is geen {record} met id '{id}'.",
    "not_found_name": "Er is geen {record} met de id of naam '{text}'.",
    "not_found_suggest": "Er is geen {record} met de id of naam '{text}'. Bedoel je: {names}? "
                         "Typ dan de id.",
    "several": "Er zijn meer {records} met de naam '{text}': {names}. Typ de id.",
    "unknown_field": "Dit veld kennen we niet. Haal het weg of controleer de spelling.",
    "yes_no": "Vul ja of nee in.",
    "other_owner": "De {record} '{id}' hoort bij een andere leverancier ({owner}), niet bij "
                   "'{own}'.",
    "id_taken": "Er is al een {record} met de id '{id}'. Kies een andere id.",
}
"""What a back-office form says about a field it refuses; `{...}` are filled in."""

FORM_SUMMARY = ("Er is 1 fout in het formulier. Er is niets opgeslagen.",
                "Er zijn {count} fouten in het formulier. Er is niets opgeslagen.")


def field_label(kind: str, path: str) -> str:
    """The label of a field of a kind of record: `field_label("vendors", "country")`."""
    return FIELD_LABELS.get(f"{kind}.{path}") or FIELD_LABELS.get(path, path)


def field_help(kind: str, path: str) -> str | None:
    return FIELD_HELP.get(f"{kind}.{path}") or FIELD_HELP.get(path)

ROLE_NAMES = {"procurement": "inkoop", "publisher": "publicatie", "admin": "beheerder"}
"""Dutch names of the staff roles (`registry.auth.Role`), as staff read them."""
NO_ROLE = "wacht op goedkeuring"


class OidcWords:
    """What the pages of signing in through an institution (OpenID Connect) say."""

    NOT_CONFIGURED = ("Inloggen via je instelling (SURFconext of Entree) is hier niet ingesteld. "
                      "Log in met je e-mailadres en wachtwoord, of vraag een beheerder om het in "
                      "te stellen.")
    UNREACHABLE = ("De inlogdienst van je instelling is nu niet bereikbaar of gaf een onbruikbaar "
                   "antwoord. Probeer het over een paar minuten opnieuw.")
    EXPIRED = ("Deze inlogpoging is verlopen of niet in deze browser begonnen. Begin opnieuw bij "
               "Inloggen.")
    STATE_MISMATCH = ("Het antwoord van je instelling hoort niet bij de inlogpoging in deze "
                      "browser. Je bent niet ingelogd. Begin opnieuw bij Inloggen.")
    DENIED = ("Je hebt het inloggen bij je instelling afgebroken, of je instelling gaf geen "
              "toestemming. Je bent niet ingelogd.")
    PROVIDER_ERROR = "Je instelling meldde een fout bij het inloggen ({error}). Je bent niet ingelogd."
    REFUSED_CODE = ("Je instelling weigerde de inlogcode (verlopen of al gebruikt). Je bent niet "
                    "ingelogd. Begin opnieuw bij Inloggen.")
    REFUSED_TOKEN = ("Het bewijs van inloggen van je instelling klopt niet (ondertekening, "
                     "uitgever, ontvanger, geldigheid of nonce). Je bent niet ingelogd.")
    BAD_EMAIL = ("Je instelling gaf als e-mailadres iets door dat geen e-mailadres is. Vraag je "
                 "instelling om je e-mailadres goed vrij te geven.")
    UNVERIFIED_EMAIL = ("Je instelling zegt dat je e-mailadres niet is bevestigd. Bevestig het bij "
                        "je instelling en log dan opnieuw in.")
    NO_EMAIL = ("Je instelling gaf geen e-mailadres door, en dat is nodig voor een account. Vraag "
                "je instelling om je e-mailadres aan deze dienst vrij te geven.")
