from __future__ import annotations

from collections.abc import Callable

import pytest

from chartdrop.nlp.types import ASSERTIONS, Extraction
from tests.nlp.nlp_samples import find


@pytest.mark.parametrize(
    ("text", "mention", "assertion"),
    [
        ("She denies chest pain.", "chest pain", "negated"),
        ("No fever or chills.", "fever", "negated"),
        ("No fever or chills.", "chills", "negated"),
        ("Negative for fever and nausea.", "nausea", "negated"),
        ("CHEST PAIN: None.", "CHEST PAIN", "negated"),
        ("Fever: none", "Fever", "negated"),
        ("Healing well without cellulitis.", "cellulitis", "negated"),
        ("Rule out pneumonia.", "pneumonia", "possible"),
        ("Possible pneumonia on the left.", "pneumonia", "possible"),
        ("Suspected deep vein thrombosis.", "deep vein thrombosis", "possible"),
        ("Return if fever develops.", "fever", "hypothetical"),
        ("If chest pain develops, she will call.", "chest pain", "hypothetical"),
        ("Should she develop shortness of breath, go to the ER.", "shortness of breath",
         "hypothetical"),
        ("She has a history of stroke.", "stroke", "historical"),
        ("ASSESSMENT: S/p MI.", "MI", "historical"),  # the tokenizer splits "s/p" in three
        ("He is s/p appendectomy for appendicitis.", "appendicitis", "historical"),
        ("Neurogenic bladder, status-post pneumonia.", "pneumonia", "historical"),
        ("Because of his mental status and general debility, ...", "debility", "present"),
        ("PAST MEDICAL HISTORY: Asthma.\nASSESSMENT: Pneumonia.", "Asthma", "historical"),
        ("PAST MEDICAL HISTORY: Asthma.\nASSESSMENT: Pneumonia.", "Pneumonia", "present"),
        ("Her mother had breast cancer.", "breast cancer", "family"),
        ("Diabetes in her father.", "Diabetes", "family"),
        ("FAMILY HISTORY: Hypertension and diabetes.", "diabetes", "family"),
        ("family history is positive for diabetes.", "diabetes", "family"),
        # A parent who reports is the pediatric patient's informant, not the relative.
        ("Mom says he has had ear pain.", "ear pain", "present"),
        ("Per mother, he has had a cough for 3 days.", "cough", "present"),
        ("Her daughter reports that she has heard the patient snoring.", "snoring", "present"),
        ("His wife has told me that he may have sleep apnea.", "sleep apnea", "possible"),
        ("She may have had reactive arthritis.", "reactive arthritis", "possible"),
        ("The cough may be related to asthma.", "asthma", "possible"),
        ("This may have been causing some dizziness.", "dizziness", "present"),
        # A comma and a verb of what happened next start a new clause.
        ("She could not move the toes, came to the ER, diagnosed with gout.", "gout", "present"),
        ("History of UTI, admitted on May 6 for weakness.", "weakness", "present"),
        # A relative spoken to or with is the audience, not the one who has the problem.
        ("I talked to the mother and told her that the swelling is cellulitis.", "cellulitis",
         "present"),
        ("He presents with his mother for followup of hypothyroidism.", "hypothyroidism",
         "present"),
        ("We will call the family with the diagnosis of head injury and syncope.", "syncope",
         "present"),
        ("The patient and her daughter completed diabetes education.", "diabetes", "present"),
        ("He was discharged in the care of his mother with a diagnosis of foot contusions.",
         "foot contusions", "present"),
        # In a pediatric note "the child" is the patient.
        ("The child developed a buried penis.", "buried penis", "present"),
        ("Child with abdominal pain and rectal bleeding.", "rectal bleeding", "present"),
        ("Family history of a sister with breast cancer at age 43.", "breast cancer", "family"),
        ("She has a son with lumbar spine disease.", "lumbar spine disease", "family"),
        ("The patient's husband was found to have papillomatosis.", "papillomatosis", "family"),
        ("Mother died from congestive heart failure.", "congestive heart failure", "family"),
        # How long a complaint has lasted is not a past history.
        ("She presents with a four-day history of nasal congestion.", "nasal congestion",
         "present"),
        ("He has a 2-week history of cough.", "cough", "present"),
        ("She has a long-standing history of knee pain.", "knee pain", "present"),
        ("Mother denies fever.", "fever", "negated"),
        ("She has hypertension but denies chest pain.", "hypertension", "present"),
        ("She denies fever but has a cough.", "cough", "present"),
        ("Denies fever.\nNEURO: headache.", "headache", "present"),
        ("No family history of diabetes.", "diabetes", "negated"),
        ("REVIEW OF SYSTEMS: Denies fever, chills.", "chills", "negated"),
        ("CARDIAC: No chest pain. RESPIRATORY: Cough.", "chest pain", "negated"),
        ("CARDIAC: No chest pain. RESPIRATORY: Cough.", "cough", "present"),
        ("Chest pain: no.", "Chest pain", "negated"),
        ("HISTORY: The patient has allergic rhinitis.", "allergic rhinitis", "present"),
        ("FAMILY HISTORY: None. SOCIAL HISTORY: Smoker with cough.", "cough", "present"),
        # Negation phrasings beyond the plain triggers
        ("The biopsy was negative for malignancy.", "malignancy", "negated"),
        ("Pneumonia was ruled out.", "Pneumonia", "negated"),
        ("Pulmonary embolism was excluded.", "Pulmonary embolism", "negated"),
        ("No evidence of pneumonia.", "pneumonia", "negated"),
        ("No fever, rash, or cough.", "cough", "negated"),
        ("Ascites, jaundice, or edema were not observed.", "Ascites", "negated"),
        ("Ascites, jaundice, or edema were not observed.", "jaundice", "negated"),
        ("Hepatomegaly was not detected on ultrasound.", "Hepatomegaly", "negated"),
        ("She had neither fever nor cough.", "fever", "negated"),
        ("She had neither fever nor cough.", "cough", "negated"),
        ("He has never had seizures.", "seizures", "negated"),
        ("The CT scan failed to reveal hemorrhage.", "hemorrhage", "negated"),
        ("She was free of seizures.", "seizures", "negated"),
        ("He did not have diabetes.", "diabetes", "negated"),
        ("She remained free from seizures.", "seizures", "negated"),
        ("Imaging excluded hemorrhage.", "hemorrhage", "negated"),
        ("Fever - negative.", "Fever", "negated"),
        ("Tumor markers were normal, and no lymphadenopathy was seen.", "lymphadenopathy",
         "negated"),
        # Pseudo-negations: the negation word does not negate the finding
        ("No change in the pleural effusion.", "pleural effusion", "present"),
        ("There was no significant change in his edema.", "edema", "present"),
        ("He had not only a cough but also a fever.", "cough", "present"),
        ("He had not only a cough but also a fever.", "fever", "present"),
        ("Without improvement in his anemia, he was transfused.", "anemia", "present"),
        ("Surgery was not performed due to severe cirrhosis.", "cirrhosis", "present"),
        ("Hemoglobin declined to 7 g/dL with melena.", "melena", "present"),
        ("She declined treatment for her depression.", "depression", "present"),
        # Scope ends at a new clause
        ("There was no fever; however, she had a cough.", "cough", "present"),
        ("No rash, although she reported pruritus.", "pruritus", "present"),
        ("No weakness was found, which argued against stroke.", "stroke", "present"),
        ("No headache, and he reported dizziness.", "dizziness", "present"),
        ("Abdomen was soft without tenderness, and she had nausea.", "nausea", "present"),
        ("The patient had no prior illness and presented with chest pain.", "chest pain",
         "present"),
        # Resolution: a problem that resolved or disappeared is no longer present
        ("Her seizures resolved after treatment.", "seizures", "negated"),
        ("The rash had completely disappeared at follow-up.", "rash", "negated"),
        ("The patient has been symptom-free since surgery, with no seizures.", "seizures",
         "negated"),
        ("The rash subsided slowly.", "rash", "present"),  # lessened, not gone
        # 'free' alone is not a negation: free air and free fluid are findings
        ("CT showed free air and ascites.", "ascites", "present"),
        ("Free fluid and ascites were seen.", "ascites", "present"),
        ("Any other abnormality such as anemia would be treated.", "anemia", "present"),
        # Negated risk factors do not negate the disease they are risk factors for
        ("She had no risk factors for coronary artery disease.", "coronary artery disease",
         "present"),
        ("He had no risk factors for coronary artery disease or cough.", "cough", "present"),
        ("No mass, consistent with pneumonia.", "pneumonia", "present"),
        ("There was no edema, only mild cellulitis.", "cellulitis", "present"),
        ("There was no edema, only mild cellulitis.", "edema", "negated"),
        ("There was no ascites, the decision was made to treat the cirrhosis.", "cirrhosis",
         "present"),
        ("No fever, chills, or cough.", "cough", "negated"),  # a list is not a new clause
        ("Biopsy was not possible, as the patient had pneumonia.", "pneumonia", "present"),
        ("She was extubated without difficulty and developed pneumonia.", "pneumonia",
         "present"),
        ("Blood cultures grew gram negative rods consistent with sepsis.", "sepsis", "present"),
        ("Her cough resolved, but she had no fever.", "fever", "negated"),
        # A finite verb starts a new clause and ends a forward negation's scope
        ("No mass was found, and a large cyst was seen.", "cyst", "present"),
        ("No mass was found, and a large cyst was seen.", "mass", "negated"),
        ("CT without contrast showed a large mass.", "mass", "present"),
        ("No fever or cough has been reported and the rash persists.", "rash", "present"),
        ("She has had no fever, chills, night sweats, weight loss, or abdominal pain.",
         "abdominal pain", "negated"),  # a long list is still one clause
        ("He has not shown any seizures since surgery.", "seizures", "negated"),
        ("No edema was seen, and we started treatment for cellulitis.", "cellulitis", "present"),
        ("Given the absence of fever and the patient's worsening anemia, a biopsy was done.",
         "anemia", "present"),
        ("Given the absence of fever and the patient's worsening anemia, a biopsy was done.",
         "fever", "negated"),
        # More negation phrasings
        ("The findings were not consistent with malignancy.", "malignancy", "negated"),
        ("After exclusion of pneumonia, she was discharged.", "pneumonia", "negated"),
        ("Troponin was normal, thereby ruling out myocardial infarction.",
         "myocardial infarction", "negated"),
        ("She had vomiting with out abdominal pain.", "abdominal pain", "negated"),
        ("The patient was HIV-negative.", "HIV", "negated"),
        ("The bacteremia was coagulase-negative.", "bacteremia", "present"),
        ("Imaging showed complete resolution of the abscess.", "abscess", "negated"),
        ("Imaging showed near complete resolution of the abscess.", "abscess", "present"),
        ("Her seizures had almost resolved.", "seizures", "present"),
        # A section name dictated inside a sentence ends the negation before it.
        ("She denies chest pain, past medical history of congestive heart failure.",
         "congestive heart failure", "historical"),
        ("She denies chest pain, past medical history of congestive heart failure.",
         "chest pain", "negated"),
        ("No past medical history of asthma.", "asthma", "negated"),
        ("He denies fever, review of systems positive for fatigue.", "fatigue", "present"),
        ("No chest pain, assessment and plan, community acquired pneumonia.",
         "community acquired pneumonia", "present"),
        ("She denies any history of diabetes.", "diabetes", "negated"),
        ("Denies family history of colon cancer.", "colon cancer", "negated"),
        # A terminator also ends a short-reach backward trigger ("negative" reaches 4 tokens)
        ("There was suspicion of metastases despite negative imaging.", "metastases",
         "possible"),
        # Not excluded is still possible; double negation and alternatives are not negations
        ("We cannot rule out pneumonia.", "pneumonia", "possible"),
        ("Sarcoidosis was not excluded.", "Sarcoidosis", "possible"),
        # "Impending" is not yet (ICD-10-CM I.B.11: not coded as the condition)
        ("Impending compartment syndrome of the right arm.", "compartment syndrome", "possible"),
        ("Hemorrhage is not uncommon after this surgery.", "Hemorrhage", "present"),
        ("She will receive radiation with or without chemotherapy for lymphoma.", "lymphoma",
         "present"),
        # "but not limited to" lists risks; its "not" negates nothing
        ("Risks, benefits and complications including, but not limited to bleeding and "
         "infection, were discussed.", "infection", "hypothetical"),
        ("Potential complications include, but are not limited to: infection, bleeding.",
         "bleeding", "hypothetical"),
        ("The risks were explained, which included but were not limited to bleeding and "
         "perforation.", "perforation", "hypothetical"),
        ("No cough but fever.", "fever", "present"),
    ],
)  # fmt: skip
def test_assertions(
    extract: Callable[[str], Extraction], text: str, mention: str, assertion: str
) -> None:
    found = find(extract(text).problems, mention)
    assert found.assertion == assertion
    assert found.assertion in ASSERTIONS


def test_negated_medication(extract: Callable[[str], Extraction]) -> None:
    result = extract("She is not taking aspirin. She takes metformin.")
    assert find(result.medications, "aspirin").assertion == "negated"
    assert find(result.medications, "metformin").assertion == "present"


def test_a_drug_given_as_prophylaxis_is_not_negated(extract: Callable[[str], Extraction]) -> None:
    # medspaCy's "prophylaxis" rule negates the problem prevented ("DVT prophylaxis"), not
    # the drug given for it.
    result = extract("Heparin prophylaxis was started. Antibiotic prophylaxis was given.")
    assert [(m.text, m.assertion) for m in result.medications] == [
        ("Heparin", "present"),
        ("Antibiotic", "present"),
    ]


def test_a_negative_result_does_not_negate_the_test(extract: Callable[[str], Extraction]) -> None:
    # "negative" after a mention rules out a problem; a test with a negative result was done.
    result = extract("His urine cultures ended up being negative. No biopsy was done.")
    assert [(m.text, m.assertion) for m in result.procedures] == [
        ("urine cultures", "present"),
        ("biopsy", "negated"),
    ]


def test_declined_treatment_is_negated(extract: Callable[[str], Extraction]) -> None:
    result = extract("She declined aspirin. She takes metformin.")
    assert find(result.medications, "aspirin").assertion == "negated"
    assert find(result.medications, "metformin").assertion == "present"


def test_header_does_not_make_everything_historical(extract: Callable[[str], Extraction]) -> None:
    text = "HISTORY OF PRESENT ILLNESS: She presents with chest pain and cough."
    result = extract(text)
    assert find(result.problems, "chest pain").assertion == "present"
    assert find(result.problems, "cough").assertion == "present"


def test_fast_context_matches_medspacy_matcher(extract: Callable[[str], Extraction]) -> None:
    """context_fast.RuleMatcher finds exactly what medspaCy's matcher finds, pruned alike."""
    from medspacy.common.medspacy_matcher import MedspacyMatcher

    from chartdrop.nlp.context_fast import prune_overlapping
    from chartdrop.nlp.pipeline import get_pipeline
    from tests.nlp.nlp_samples import DICTATED, TYPED

    nlp = get_pipeline()
    fast = nlp.get_pipe("medspacy_context")
    reference = MedspacyMatcher(nlp)  # prunes like ConText's own matcher
    reference.add(fast.context.rules)
    texts = [
        DICTATED,
        TYPED,
        "CARDIAC: No chest pain. Denies fever, chills or night sweats: none. No history of MI.",
        "Family history of diabetes; mother had no cancer. Rule out pneumonia versus CHF.",
        "Neither cough nor dyspnea was noted, however there is edema - negative for DVT.",
        "Seizures resolved; he is symptom-free. No risk factors for CAD, only edema, the rest"
        " was not possible. Free air, consistent with perforation.",
        "No mass was found, and we saw a cyst that has been stable; CT without contrast showed"
        " HIV-negative status, not consistent with, thereby ruling out, with or without.",
    ]
    for text in texts:
        doc = nlp.make_doc(text)
        expected = [(reference.rule_map[nlp.vocab.strings[m]], s, e) for m, s, e in reference(doc)]
        got = prune_overlapping(fast.matcher(doc))
        assert [(id(r), s, e) for r, s, e in got] == [(id(r), s, e) for r, s, e in expected]


def test_ocr_blank_line_inside_a_sentence_keeps_the_negation(
    extract: Callable[[str], Extraction],
) -> None:
    """Tesseract writes blank lines inside a sentence on a skewed page; a real paragraph
    break (after a full stop) still ends the scope."""
    text = (
        "REVIEW OF SYSTEMS: Specifically denies chest pain,\n\nheart attack, congestive heart"
        " failure, arrhythmia, high\n\nblood pressure and asthma.\n\nHe has had a cough."
    )
    result = extract(text)
    for name in ("chest pain", "heart attack", "congestive heart failure", "asthma"):
        assert find(result.problems, name).assertion == "negated"
    assert find(result.problems, "cough").assertion == "present"
