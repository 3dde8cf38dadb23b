# FentGuard portal, English. Every text a page shows; ids are shared with zh-CN.
skip-to-content = Skip to content
nav-label = Main
nav-home = Home
nav-check = Check a chemical
nav-api = API reference
language-label = Language
footer-version = FentGuard { $version }
footer-offline = Everything on this page is served by this FentGuard installation; nothing is fetched from the internet.

landing-title = Control of fentanyl-related substances and their precursors
landing-lead = FentGuard decides from a structure, CAS number or name whether a chemical is controlled, where, since when and why; licenses exports after a risk assessment and the importing authority's reply; and traces every kilogram.
landing-law-title = The law as data
landing-law = China's structural definition of fentanyl-related substances, the United States' class definition and the dated lists of narcotics and precursors, applied atom by atom.
landing-licensing-title = Licensing
landing-licensing = Export applications with the statutory clock, pre-export notifications to the importing country's authority, signed permits that customs verify.
landing-tracking-title = Tracking
landing-tracking = Every movement recorded as a GS1 EPCIS 2.0 event, with the law applied to each one.
landing-start = Start here
landing-api = The API reference (for systems that connect to FentGuard)

check-title = Check a chemical
check-input-label = Name, CAS number, InChIKey, SMILES or molfile
check-input-hint = For example: acetylfentanyl, 3258-84-2, fentanyl citrate, or CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1
check-date-label = The law as it stood on (leave empty for today)
check-submit = Check
check-bad-date = “{ $date }” is not a date (use the date picker or YYYY-MM-DD).
check-too-large = This structure is larger than FentGuard judges ({ $limit }).
check-not-recognised = This was not recognised, so it has not been judged. It is not “not controlled”: give its structure (SMILES or molfile) instead.
check-did-you-mean = Did you mean:
check-answer = The answer
check-name = Name
check-smiles = Structure (canonical SMILES)
check-law-date = The law applied as of
check-jurisdiction = Jurisdiction
check-generic = Generic definition
check-in-force-from = in force from { $date }
check-conditions = Conditions met:
check-atoms-caption = Atoms of each region (numbered from 1, in the order of the input)
check-region = Region
check-atoms = Atoms
check-flags = Caveats:
check-listings = Listings
check-list = List
check-entry = Entry
check-category = Category
check-from = In force from
check-instrument = Legal instrument
check-no-date = date not given by the source
check-undetermined-because = Why it could not be decided
check-other-listings = Listings elsewhere
check-notes = Notes on how the input was read

jurisdiction-CN = China
jurisdiction-US = United States
status-controlled = Controlled
status-undetermined = Undetermined: not decided, treat as possibly controlled
status-not-controlled = Not controlled

api-title = API reference
api-lead = Every operation of FentGuard's HTTP API, generated from the same description that tools read at
api-tags = Parts of the API
api-token = Needs a token: sign in with POST /api/v1/auth/login and send it as “Authorization: Bearer …”.
api-public = Needs no token.
api-parameters = Parameters
api-body = Request body:
api-responses = Answers
