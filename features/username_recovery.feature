@username_recovery
Feature: Recover your user name
  The "Forgot User Name?" link on the login page opens a form for the producer's
  Agent Unique ID (the nine-digit producer number of their "Welcome" email) and
  E-mail Address. On "Submit" the portal confirms and emails every user name linked
  to that address to the address on file.

  Background:
    Given a registered producer:
      | User Name   | Password | Agent Unique ID | E-mail Address           | State |
      | jessicacamp | Camp2019 | 000600492       | jessica.camp@example.com | IL    |

  @USER-1 @USER-2 @USER-3 @USER-4 @USER-8 @SERVICES-1 @SERVICES-2 @decision-forgot-user-name-heading
  Scenario: Forgot User Name? asks for the Agent Unique ID and E-mail Address and shows Producer Services
    When the producer opens the portal
    And the producer clicks "Forgot User Name?"
    Then the producer sees the "Forgot User Name?" page
    And the page has the fields "Agent Unique ID" and "E-mail Address"
    And the fields "Agent Unique ID" and "E-mail Address" are marked required
    And the page has the button "Submit"
    And the page says "* Denotes a required field."
    And the page says "If you need assistance, please contact Producer Services at:"
    And the page shows the Producer Services directory:
      | line                               | IL                                     | NM                                     | OK                                     | TX                                     | MT             |
      | Major Medical                      | (888) 313-5526                         | (888) 222-0572                         | (888) 399-9394                         | (888) 697-0679                         | (855) 454-7109 |
      | Medicare Supplement (Legacy)       | (800) 538-0382 prior to May 1, 2019    | (888) 222-0572 prior to May 1, 2019    | (800) 522-9266 prior to May 1, 2019    | (800) 366-4236 prior to Jan 1, 2020    | (855) 258-8475 |
      | Medicare Supplement (New Business) | (877) 587-6638 on or after May 1, 2019 | (877) 587-6679 on or after May 1, 2019 | (877) 587-6645 on or after May 1, 2019 | (877) 587-6641 on or after Jan 1, 2020 | (855) 258-8475 |
      | Medicare Advantage (MAPD)          | ?                                      | ?                                      | (877) 774-8592                         | ?                                      | ?              |
      | Prescription Drug (PDP)            | ?                                      | ?                                      | ?                                      | ?                                      | ?              |
      | State Farm Agents Only             | ?                                      | ?                                      | ?                                      | ?                                      | ?              |

  @USER-4 @USER-5 @USER-6 @USER-7 @SERVICES-3 @LOCK-5 @decision-username-email-subject @decision-email-sender @decision-ok-returns-to-sign-in
  Scenario: The user name arrives by email at the address on file
    Given the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer sees the "Request Submitted" page
    And the page says "Your User Name was sent in an email to your email address on file."
    And the page has the button "OK"
    And the producer receives an email with the subject "Retail Producer Portal User Name"
    And the email comes from "Retail Producer Portal Customer Service <no-reply@rpp.example>"
    And the email is in the inbox folder
    And the email reads:
      """
      Hello! We recently received a request to provide your User Name for Retail Producer Portal – if you did not request please call us at the number below.
      Important: please close your web browser and clear your history and cache before you re-attempt to log in!
      User Name(s) linked to your email address: jessicacamp. You can return to RPP now and enter your User Name and password on the Login page.
      If you have any questions regarding this notification, please contact Producer Services toll free at any of the following numbers: IL: (888) 313-5526 MT: (855) 454-7109
      State Farm agents - please call 1-844-250-8201 for assistance.
      NOTE: Any replies to this mail will not be received.
      Thank you,
      Retail Producer Portal Customer Service
      """
    And no other email is sent
    When the producer clicks "OK"
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with the User Name "jessicacamp" and the Password "Camp2019"
    Then the producer sees the "Welcome" page

  @USER-6
  Scenario: The email lists every user name linked to a shared address
    Given these registered producers:
      | User Name  | Agent Unique ID | E-mail Address          |
      | campfamily | 000600493       | camp.family@example.com |
      | jcamp      | 000600494       | camp.family@example.com |
      | tcamp      | 000600495       | camp.family@example.com |
    And the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID "000600494" and the E-mail Address "camp.family@example.com"
    Then the producer sees the "Request Submitted" page
    And an email arrives at "camp.family@example.com" with the subject "Retail Producer Portal User Name"
    And the email lists the user names "campfamily", "jcamp" and "tcamp"
    And no other email is sent

  @USER-7
  Scenario: An email filed as spam is in the spam folder, and the producer logs in after reading it
    Given the producer's email provider files the portal's emails in the spam folder
    And the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    And the email is in the spam folder
    And the email lists the user name their user name
    When the producer clicks "OK"
    And the producer logs in with the User Name "jessicacamp" and the Password "Camp2019"
    Then the producer sees the "Welcome" page

  @USER-3 @USER-5 @decision-identifiers-case
  Scenario: The E-mail Address is read without case or surrounding spaces
    Given the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address " JESSICA.Camp@Example.com "
    Then the producer sees the "Request Submitted" page
    And an email arrives at "jessica.camp@example.com" with the subject "Retail Producer Portal User Name"
    And the email lists the user names "jessicacamp"

  @USER-5 @decision-forms-do-not-reveal-matches @decision-confirmation-wording
  Scenario Outline: Forgot User Name? data that match no account get the same confirmation, and no email goes anywhere
    Given another registered producer
    And the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID <Agent Unique ID> and the E-mail Address <E-mail Address>
    Then the producer sees the "Request Submitted" page
    And the page says "Your User Name was sent in an email to your email address on file."
    And no email is sent to their E-mail Address
    And no other email is sent

    Examples:
      | Agent Unique ID       | E-mail Address             |
      | "000600492"           | "someone.else@example.com" |
      | "999999999"           | their E-mail Address       |
      | "999999999"           | "nobody@example.com"       |

  @USER-2 @USER-3 @USER-8 @decision-form-field-messages
  Scenario Outline: Forgot User Name? names a missing or malformed field and keeps the form open
    Given the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID <Agent Unique ID> and the E-mail Address <E-mail Address>
    Then the producer sees the "Forgot User Name?" page
    And the page shows the message "<message>"
    And no email is sent

    Examples:
      | Agent Unique ID       | E-mail Address             | message                                                             |
      | nothing               | their E-mail Address       | Agent Unique ID is required.                                        |
      | "12345"               | their E-mail Address       | Agent Unique ID must be your nine-digit producer number.            |
      | "0006004920"          | their E-mail Address       | Agent Unique ID must be your nine-digit producer number.            |
      | "00060049A"           | their E-mail Address       | Agent Unique ID must be your nine-digit producer number.            |
      | their Agent Unique ID | nothing                    | E-mail Address is required.                                         |
      | their Agent Unique ID | "jessica.camp.example.com" | E-mail Address must be an email address, such as name@example.com. |
      | their Agent Unique ID | "jessica.camp@example"     | E-mail Address must be an email address, such as name@example.com. |
      | their Agent Unique ID | "jessica camp@example.com" | E-mail Address must be an email address, such as name@example.com. |

  @USER-2 @USER-3 @USER-8 @decision-form-field-messages
  Scenario: With both fields missing, both are named in the order of the form, and the form can be sent again
    Given the producer is on the "Forgot User Name?" page
    When the producer submits Forgot User Name? with the Agent Unique ID nothing and the E-mail Address nothing
    Then the producer sees the "Forgot User Name?" page
    And the page shows the messages:
      """
      Agent Unique ID is required.
      E-mail Address is required.
      """
    When the producer enters "000600492" in "Agent Unique ID"
    And the producer enters their E-mail Address in "E-mail Address"
    And the producer clicks "Submit"
    Then the producer sees the "Request Submitted" page
    And the page shows no message
    And the producer receives an email with the subject "Retail Producer Portal User Name"

  @USER-4 @decision-recovery-email-limit
  Scenario: Past five recovery emails in an hour the portal confirms alike but sends nothing, and sends again an hour later
    When the producer opens the portal
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    When the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    When the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    When the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    When the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    When the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer sees the "Request Submitted" page
    And no email is sent
    When 60 minutes pass
    And the producer clicks "OK"
    And the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
