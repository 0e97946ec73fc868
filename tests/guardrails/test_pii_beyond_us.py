"""PII beyond US formats, as tables through the real Presidio analyzer and our recognizers.

Each row: a message, and the PII codes with the flagged text it must produce
(an empty list: nothing may be flagged). Positives cover the formats of the
issue (UK/DE/FR/ES addresses, passports and licences with their keyword,
UK NI, ES DNI/NIE, FR NIR, DE Steuer-ID, card brands by IIN and Luhn,
grouped IBANs); negatives are the lookalikes marketing copy is full of.
"""

from __future__ import annotations

import pytest

from guardrails.pii_engine import analyze_texts
from guardrails.pii_findings import pii_findings
from guardrails.policy import default_policy
from guardrails.recognizers.card_numbers import issuer, luhn_ok
from guardrails.recognizers.iban_context import iban_ok
from guardrails.recognizers.national_ids import dni_ok, nir_ok

ROWS = [
    # street addresses
    (
        "Your parcel goes to 14 Kingsley Road, Leeds LS6 2AB today.",
        [("pii_street_address", "14 Kingsley Road, Leeds LS6 2AB")],
    ),
    (
        "Lieferung an Goethestr. 7a, 80336 München.",
        [("pii_street_address", "Goethestr. 7a, 80336 München")],
    ),
    (
        "Livraison au 8 avenue Jean Jaurès, 69007 Lyon.",
        [("pii_street_address", "8 avenue Jean Jaurès, 69007 Lyon")],
    ),
    (
        "Enviamos a Calle de Alcalá 150, 28009 Madrid.",
        [("pii_street_address", "Calle de Alcalá 150, 28009 Madrid")],
    ),
    (  # no street word: the house number, comma and postcode make it an address
        "Lieferung an Am Markt 3a, 80331 München.",
        [("pii_street_address", "Am Markt 3a, 80331 München")],
    ),
    # passports and licences need their keyword
    ("We keep your passport number 533380006 on file.", [("pii_passport", "533380006")]),
    ("Dein Reisepass C01X00T47 ist hinterlegt.", [("pii_passport", "C01X00T47")]),
    (
        "Ton permis de conduire 123456789012 a été vérifié.",
        [("pii_driver_license", "123456789012")],
    ),
    ("Driving licence MORGA753116SM9IJ is stored.", [("pii_driver_license", "MORGA753116SM9IJ")]),
    # national IDs
    ("Your NI number QQ 12 34 56 C is on file.", [("pii_national_id", "QQ 12 34 56 C")]),
    ("Tu DNI 12345678Z quedó registrado.", [("pii_national_id", "12345678Z")]),
    ("NIE X1234567L verificado.", [("pii_national_id", "X1234567L")]),
    ("Numéro 1 85 05 78 006 084 91 enregistré.", [("pii_national_id", "1 85 05 78 006 084 91")]),
    (  # a wrong key still blocks next to the words that name it
        "Votre numéro de sécurité sociale 1 84 12 75 108 055 42 est enregistré.",
        [("pii_national_id", "1 84 12 75 108 055 42")],
    ),
    ("Ton n° de sécu : 184127510805542.", [("pii_national_id", "184127510805542")]),
    ("Deine Steuer-ID 65929970489 wurde geprüft.", [("pii_national_id", "65929970489")]),
    # every card brand, grouped any way
    ("We charged 2223 0031 2200 3222 today.", [("pii_card_number", "2223 0031 2200 3222")]),
    ("Amex 3782 822463 10005 was declined.", [("pii_card_number", "3782 822463 10005")]),
    ("Diners 3056 9309 0259 04 is active.", [("pii_card_number", "3056 9309 0259 04")]),
    # grouped IBAN without banking words nearby
    (
        "Billed monthly to DE89 3704 0044 0532 0130 00.",
        [("pii_iban", "DE89 3704 0044 0532 0130 00")],
    ),
    # lookalikes that must pass
    ("Your order #48213 ships Tuesday. Track 1Z999AA10123456784.", []),
    ("Find us at the Oxford St club, right by the station.", []),
    ("Hallo Lena, dein Lieblingskurs hat einen neuen Termin.", []),
    ("Bonjour Hugo, on t'a gardé une place.", []),
    # staff introduced by a professional title are not a customer's identity
    ("New course on world religions, taught by Dr Amina Yusuf.", []),
    ("Chef Marco Rossi is teaching the kitchen a few signs this month.", []),
    ("Abrimos el pasillo de acuarismo, con asesoría de Don Chema Robles.", []),
    # a name is a run of name words: a compound first name, a month, a place are not
    ("Nos conseillères Marie-Ève et Fatou répondent en wolof au besoin.", []),
    ("Course solidaire Octobre Rose le dimanche 13.", []),
    ("Mensaje de la app más pesada de España: hola.", []),
    ("Séjour à l'abbaye de Saint-Benoît-du-Lac.", []),
    ("Votre voisin Jean Dupont a commandé la même box.", [("pii_person_name", "Jean Dupont")]),
    ("Ein Tisch für Luis de Góngora wurde reserviert.", []),  # German: no PERSON at all
    ("A table for Luis de Góngora was booked.", [("pii_person_name", "Luis de Góngora")]),
    # ... but a courtesy title does not make a name safe
    ("Mrs Anna Patel ordered the same box.", [("pii_person_name", "Mrs Anna Patel")]),
    # staff and guests the brand introduces by their role; "your" only with a serving role
    ("A new series, guided by our teacher Amara Osei, opens this week.", []),
    ("Our evening with the historian Margaret Adeyemi is on 12 October.", []),
    ("Tertulia con el poeta Pere Vidal el 3 de noviembre.", []),
    ("Su liquidador, don Hernán Soto, le contactará.", []),
    ("Votre conseillère dédiée, Mme Fabienne Roux, reste disponible.", []),
    ("Une question ? Notre comptable, M. Olivier Garnier, répond.", []),
    # the author or director of a titled work is credited, not another customer
    ('Read "Prisoners of Geography" by Tim Marshall, free in the app.', []),
    ("Ce mois-ci : « Alcarràs », de Carla Simón, avec débat.", []),
    ("A new thriller written by Maria Lopez is out Friday.", []),
    ("The parcel sent by Maria Lopez arrived.", [("pii_person_name", "Maria Lopez")]),
    ("Your friend Maria Lopez told us you moved.", [("pii_person_name", "Maria Lopez")]),
    ("Our records show Maria Lopez paid the bill.", [("pii_person_name", "Maria Lopez")]),
    # a sentence opened by a preposition: "Para Semana Santa" is not a person
    ("Para Semana Santa: torrijas y potaje con un 15 %.", []),
    # holidays and feasts named like people
    ("Selamat Hari Raya to everyone celebrating: kuih sets from Geylang Serai stalls.", []),
    ("Día de Canarias: horario de festivo en todas las rutas.", []),
    ("Carnaval de Santa Cruz: salidas nocturnas extra el sábado.", []),
    ("Raúl Santana booked the same cabin as you.", [("pii_person_name", "Raúl Santana")]),
    ("Pour Noël, les paquets-cadeaux sont gratuits.", []),
    # a full name opens with a given name: products, events and places do not
    ("Hot Sale del 12 al 14 de mayo: hasta 40 % off en todo el sitio.", []),
    ("En Semana Santa, del 13 al 20 de abril, sus redes no consumen datos.", []),
    ("Nueva tienda en la Avenida Jiménez con Carrera Décima, en Bogotá.", []),
    ("Our Melton Mowbray practice has a quiet room, just ask at reception.", []),
    ("Your favourite Honey-Garlic Chicken is back on the menu this week.", []),
    ("Salut Camille ! Soirée Halloween : notre sélection horreur est dispo.", []),
    ("Ramadan Mubarak to everyone celebrating: late bundles all month.", []),
    ("Happy Diwali from the whole Bengaluru team!", []),
    ("Your neighbour Yuki Tanaka ordered the same box.", [("pii_person_name", "Yuki Tanaka")]),
    ("Kwame Mensah says you still owe him for the tickets.", [("pii_person_name", "Kwame Mensah")]),
    # a name that runs on into a place or a product line is the place or the product
    ("Iftar packs for the children's home on Abraham Adesanya Road.", []),
    ("Bridge closed, so we'll route you through Carter Bridge instead.", []),
    ("Pay with cash, card or Kora Wallet, your choice.", []),
    (
        "Maria Lopez Street is closed, but Maria Lopez still delivers.",
        [("pii_person_name", "Maria Lopez")],
    ),
    ("Bring your passport to the ski trip on 12 May.", []),
    ("Over 40 classes a week at 2 studios, from $19.99.", []),
    ("Reference 7781-AB for your return, receipt 20240312-0045.", []),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_pii_table(text, expected, analyzer, assert_findings):
    found = pii_findings(text, analyze_texts([text])[0], default_policy())
    assert_findings(found, text, expected)


def test_checksums():
    assert luhn_ok("2223003122003222") and not luhn_ok("2223003122003223")
    assert issuer("2720999999999996") == "mastercard" and issuer("9999999999999999") is None
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert dni_ok("12345678Z") and not dni_ok("12345678A")
    assert nir_ok("1 85 05 78 006 084 91") and not nir_ok("1 85 05 78 006 084 36")
