"""Precise rules: what the word lists used to get wrong, both ways, as tables.

Acronyms match case-sensitively, numbers need context to be ages or
deadlines, words about the brand or a product are not about the reader, and
opt-out/unsubscribe lines and greetings work in Spanish, French and German.
The word-list layer alone (`semantic=False`).
"""

from __future__ import annotations

import pytest

from guardrails.channel_email import check_email
from guardrails.channel_sms import check_sms
from guardrails.check_message import text_findings
from guardrails.policy import default_policy

ROWS = [
    # acronyms: case-sensitive
    ("Add a friend to your plan for free.", []),
    ("Living with ADD? Our focus class helps.", [("creepy_health", "ADD")]),
    ("Meet Ms Rivera, our new head coach.", []),
    (
        "Since your MS diagnosis, try the pool.",
        [("creepy_disability", "MS"), ("creepy_health", "diagnosis")],
    ),
    # numbers need context
    ("Over 40 classes a week, all included.", []),
    ("Doors open at 10 and classes start at 60 minutes past.", []),
    ("Still going strong at 60, like you.", [("creepy_age", "at 60")]),
    ("For members over 50: gentle pilates.", [("creepy_age", "members over 50")]),
    ("Over 60? Our Silver membership is £10.99 a month.", []),
    ("Seniors' Day is the first Tuesday of the month, any ID at the till.", []),
    ("Tarif Senior pour les plus de 65 ans : 15 € la place.", []),
    ("Over 60, like you, and still lifting?", [("creepy_age", "Over 60")]),
    ("Seniors like you love the early class.", [("creepy_age", "Seniors like you")]),
    ("Cold drinks delivered in 20 minutes.", []),
    ("Your spot vanishes in 9 minutes.", [("creepy_urgency", "vanishes in 9 minutes")]),
    # the brand's venue or product, not the reader
    ("Our wheelchair-accessible studio opens Monday.", []),
    ("Halal options on the menu at our cafe.", []),
    ("Injury-prevention tips from our physio team.", []),
    ("Ramadan opening hours: we stay open late.", []),
    ("Pride run on Saturday, everyone welcome.", []),
    ("Wheelchair users like you love this.", [("creepy_disability", "Wheelchair users")]),
    # amounts, event times, staff, puns, praise and seasons are not about the reader
    ("Free delivery on orders over 50.", []),
    ("Pay in 3 on purchases over 30.", []),
    ("The big summer sale starts on Friday at 9am.", []),
    ("You were in on Friday at 9am.", [("creepy_surveillance", "on Friday at 9am")]),
    ("Walk-in appointments with our sports massage therapist.", []),
    ("Still seeing your therapist? Pair it with yoga.", [("creepy_health", "therapist")]),
    ("A comedy about a man who divorces his job.", []),
    ("Divorce d'avec ton bouton snooze : le bootcamp est de retour.", []),
    ("Going through a divorce? Sweat it out.", [("creepy_family", "divorce")]),
    # "divorce" as a verb whose object is a thing, not a spouse
    ("Divorce your doomscroll. Ten minutes of swiping is better.", []),
    ("Don't divorce your current insurer just yet: compare first.", []),
    ("Divorcez de votre voiture le temps d'un week-end à Bréhat.", []),
    ("Divórciate de tu sofá: rutas a pie por La Gomera.", []),
    ("Le filet américain et les frites, le couple qui ne divorcera jamais.", []),
    ("Depuis votre divorce, on vous offre un week-end.", [("creepy_family", "divorce")]),
    ("Divorcez de votre mari, pas de Bréhat.", [("creepy_family", "Divorcez")]),
    # a quoted title, in a sentence that does not address the reader
    ('"Divorce Court Confidential" is back: celebrity breakups argued before a judge.', []),
    ('Since your divorce, "Fresh Start" classes are made for you.', [("creepy_family", "divorce")]),
    ('You searched "divorce lawyers" twice.', [("creepy_family", "divorce")]),
    # a treat or a hobby, not a disorder; a diet among others is a menu
    ("Try to kill your kopi addiction? Kopi-C is $1.20 this week.", []),
    ("Your gambling addiction won't stop you winning.", [("creepy_health", "addiction")]),
    ("Halal only, vegetarian, no pork, no beef: all in Profile.", []),
    ("Since you eat halal, here is your box.", [("creepy_religion", "halal")]),
    ("Since your divorce your credit limit changed.", [("creepy_family", "divorce")]),
    (
        "Ready to divorce your ex-husband for good?",
        [("creepy_family", "divorce"), ("creepy_family", "your ex")],
    ),
    # an engagement to marry, not commitment or "sans engagement"
    (
        "Congrats on your engagement! Get wedding-ready.",
        [("creepy_family", "your engagement"), ("creepy_family", "wedding-ready")],
    ),
    ("Just engaged? Our rings are insured for free.", [("creepy_family", "Just engaged")]),
    ("Your engagement with our app earns points.", []),
    ("Le pass est à 4,99 € par mois, sans engagement.", []),
    # hooked on a product, and a reason to treat yourself
    ("We're addicted to this chipotle crema.", []),
    ("Snow day? Perfect excuse to finally answer that message.", []),
    ("Still making excuses?", [("creepy_shaming", "excuses")]),
    ("Handbags so good they're basically addictive.", []),
    ("Beating your addiction? We're proud of you.", [("creepy_health", "addiction")]),
    ("Paniers d'iftar pendant le ramadan, disponibles le soir.", []),
    # puns and idioms: a treat, a typo, an alarm clock
    ("Therapy for your closet: four pieces for $80.", []),
    ("A little retail therapy never hurt: 20% off tops.", []),
    ("Fat-fingered your name on a booking? Fix it free.", []),
    ("Divorce ton réveille-matin : notre liste Matin doux est là.", []),
    (
        "Still in therapy after the breakup? Treat yourself.",
        [("creepy_health", "therapy"), ("creepy_family", "breakup")],
    ),
    ("Fat fingers and a fat belly? Our gloves fit all.", [("creepy_body", "fat")]),
    # a holiday greeting to everyone is not a guess at the reader's faith
    ("Happy Diwali! Light up your home with 20% off lamps.", []),
    ("Eid Mubarak from all of us, and free delivery on your order.", []),
    ("Ramadan Kareem! Your favourite iftar boxes are back.", []),
    ("Wishing you and your family a very happy and bright Diwali!", []),
    ("Diwali offers for every learner: 40% off all batches.", []),
    ("Feliz Navidad: tu pedido llega antes del 24.", []),
    ("Happy Diwali, and since you're Hindu, a puja kit too.", [("creepy_religion", "Hindu")]),
    ("Breaking your Ramadan fast? Dates are on us.", [("creepy_religion", "Ramadan")]),
    ("Halal, vegetarisch und glutenfrei auf der ganzen Karte.", []),
    ("Desserts für Diabetiker von unserer Partnerbäckerei.", []),
    ("Your size is back in stock in the trainers you liked.", []),
    ("MS Teams links for online classes are in the app.", []),
    ("Watch the wheelchair rugby final live this weekend.", []),
    ("Our app shows your boarding pass offline.", []),
    # countdowns in minutes however phrased, in four languages; lengths of things are not
    ("Price goes back up in 20 minutes.", [("creepy_urgency", "up in 20 minutes")]),
    ("Tick tock: 10 minutes to claim it.", [("creepy_urgency", "10 minutes to claim")]),
    ("Tu plaza se libera en 15 minutos.", [("creepy_urgency", "se libera en 15 minutos")]),
    ("Ta place disparaît dans 9 minutes.", [("creepy_urgency", "disparaît dans 9 minutes")]),
    ("Dein Rabatt stirbt in 8 Minuten.", [("creepy_urgency", "stirbt in 8 Minuten")]),
    ("Get fit in only 20 minutes a day.", []),
    ("Un entrenamiento de solo 20 minutos.", []),
    ("Delivery in 25 minutes or your next one's free.", []),
    # giving up, said as a question
    ("Quitting already?", [("creepy_shaming", "Quitting already")]),
    ("¿Ya te rindes?", [("creepy_shaming", "Ya te rindes")]),
    # the reader's state in Spanish, French and German; the same words about a show are not
    ("Gerade zwischen zwei Jobs? Trainiere weiter.", [("creepy_financial", "zwischen zwei Jobs")]),
    ("Between paychecks right now? We can wait.", [("creepy_financial", "Between paychecks")]),
    (
        "Après ton séjour derrière les barreaux, reprends.",
        [("creepy_criminal", "derrière les barreaux")],
    ),
    ("Documental sobre la vida en una cárcel de mujeres.", []),
    ("Con tus años, mejor la clase suave.", [("creepy_age", "Con tus años")]),
    ("Seit der Trennung: nimm dir Zeit.", [("creepy_family", "Seit der Trennung")]),
    ("Our app shows you stayed late.", [("creepy_surveillance", "Our app shows")]),
    # money trouble said in the creditors' words, and disappointment said plainly
    ("Money's tight this year, we understand.", [("creepy_financial", "Money's tight")]),
    ("We saw the cheque bounced in October.", [("creepy_financial", "cheque bounced")]),
    ("Collections calls getting to you?", [("creepy_financial", "Collections calls")]),
    ("Still rebuilding after the repossession?", [("creepy_financial", "repossession")]),
    ("Bounce back with 20% off your next box.", []),
    ("Todos los precios con IVA incluido.", []),
    (
        "We're not angry, we're just disappointed.",
        [("creepy_shaming", "We're not angry, we're just disappointed")],
    ),
    ("Other parents make it to the 7am class too.", []),
    ("Most members at least make it to week four.", [("creepy_shaming", "Most members at least")]),
    ("Don't be disappointed: the sale is back.", []),
    # Spanish, French and German words for papers, tags and arrears
    (
        "Ahora que tienes los papeles en regla, envía más.",
        [("creepy_ethnicity", "papeles en regla")],
    ),
    (
        "Ton bracelet électronique ne te laisse pas sortir ?",
        [("creepy_criminal", "bracelet électronique")],
    ),
    ("Votre ligne a été suspendue pour facture impayée ?", [("creepy_financial", "impayée")]),
    ("Un IMC comme le vôtre réduit vos chances.", [("creepy_body", "IMC")]),
    ("Tu carrito se vacía en 10 minutos.", [("creepy_urgency", "se vacía en 10 minutos")]),
    ("Tu pedido llega en 30 minutos.", []),
    # a group named by what it loves is not the reader's addiction
    ("Filter coffee addicts, this one's for you.", []),
    ("Sugar addicts like you deserve a treat.", [("creepy_health", "addicts")]),
    (
        "Recovering addicts welcome.",
        [("creepy_health", "Recovering"), ("creepy_health", "addicts")],
    ),
    # a product or a service, not the reader's medicine
    ("Prescription glasses from £39, frames included.", []),
    ("Your prescriptions are ready.", [("creepy_health", "prescriptions")]),
    # a group or a service for one, not the reader
    ("A forum space for trans and non-binary members, run by our team.", []),
    ("Notre clinique accueille les personnes LGBTQIA+ sans jugement.", []),
    ("Trans members like you love this.", [("creepy_sexuality_gender", "Trans")]),
    # the reader's own booking ahead, not a sighting
    ("Your lesson is on Wednesday at 4:30pm at the pool.", []),
    ("You swam on Wednesday at 4:30pm.", [("creepy_surveillance", "on Wednesday at 4:30pm")]),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_precise_rules_table(text, expected, assert_findings):
    assert_findings(text_findings(text, default_policy(), semantic=False), text, expected)


@pytest.mark.parametrize(
    "body",
    [
        "Hola Lucía, nuevas clases. Darse de baja",
        "Bonjour Hugo, nouveaux cours. Se désabonner",
        "Hallo Lena, neue Kurse. Abmelden",
        "Hi Dana, new classes. Unsubscribe anytime.",
        # imperatives and preference centres, as real footers say it
        "Hola Lucía, nuevas clases. Gestiona tus preferencias o cancela la suscripción.",
        "Hola Lucía, nuevas clases. Date de baja aquí.",
        "Bonjour Hugo, nouveaux cours. Désabonnez-vous en un clic.",
        "Salut Hugo, nouveaux cours. Gérer tes préférences",
        "Hallo Lena, neue Kurse. Hier geht's zur Abmeldung.",
        "Hallo Lena, neue Kurse. Newsletter-Einstellungen verwalten",
    ],
)
def test_unsubscribe_lines_in_four_languages(body):
    assert check_email("Neu für dich", body, default_policy()) == []


@pytest.mark.parametrize(
    "body",
    [
        "Hola Lucía, nuevas clases. Suscríbete a nuestro canal.",
        "Bonjour Hugo, nouveaux cours. Abonne-toi à la chaîne.",
        "Hallo Lena, neue Kurse. Jetzt anmelden!",
    ],
)
def test_subscribe_is_not_an_unsubscribe_line(body):
    codes = [f.code for f in check_email("Neu für dich", body, default_policy())]
    assert codes == ["email_missing_unsubscribe"]


@pytest.mark.parametrize(
    "text",
    [
        "Hola Lucía, nuevas clases. Responde BAJA para darte de baja",
        "Salut Hugo, nouveaux cours. STOP au 36180",
        "Hallo Lena, neue Kurse. Antworte STOP zum Abbestellen",
    ],
)
def test_sms_opt_out_in_three_languages(text):
    assert [f.code for f in check_sms(text, default_policy())] == []


def test_missing_unsubscribe_still_blocks():
    (finding,) = check_email("Neu für dich", "Hallo Lena, neue Kurse.", default_policy())
    assert finding.code == "email_missing_unsubscribe" and finding.severity == "block"
