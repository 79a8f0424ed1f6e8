@password_reset
Feature: Reset your password
  The "Reset Password?" link on the login page opens a form for the User Name and one
  of the E-mail Address or the Agent Unique ID. On "Submit" a case-sensitive temporary
  password is emailed to the address on file. The producer logs in with it, selects a
  state, chooses "Edit Profile" from the "Account" menu and, under "Change Password",
  sets a new password of six to nine letters and/or numbers.

  Background:
    Given a registered producer:
      | User Name   | Password | Agent Unique ID | E-mail Address           | State |
      | jessicacamp | Camp2019 | 000600492       | jessica.camp@example.com | NM    |

  @RESET-1 @RESET-2 @RESET-3 @RESET-4 @SERVICES-1 @SERVICES-2 @decision-reset-form-state-farm-row
  Scenario: Reset Password? asks for the User Name and one identifier and shows Producer Services
    When the producer opens the portal
    And the producer clicks "Reset Password?"
    Then the producer sees the "Reset Password?" page
    And the page has the fields "User Name", "E-mail Address" and "Agent Unique ID"
    And the field "User Name" is marked required
    And the fields "E-mail Address" and "Agent Unique ID" are not marked required
    And the page has the button "Submit"
    And the page says:
      """
      Please enter the User Name AND one of these: 1) Email Address OR 2) Agent Unique ID linked to your account.
      * Denotes a required field.
      If you need assistance, please contact Producer Services at:
      """
    And the page shows the Producer Services directory:
      | line                               | IL                                     | NM                                     | OK                                     | TX                                     | MT             |
      | Major Medical                      | (888) 313-5526                         | (888) 222-0572                         | (888) 399-9394                         | (888) 697-0679                         | (855) 454-7109 |
      | Medicare Supplement (Legacy)       | (800) 538-0382 prior to May 1, 2019    | (888) 222-0572 prior to May 1, 2019    | (800) 522-9266 prior to May 1, 2019    | (800) 366-4236 prior to Jan 1, 2020    | (855) 258-8475 |
      | Medicare Supplement (New Business) | (877) 587-6638 on or after May 1, 2019 | (877) 587-6679 on or after May 1, 2019 | (877) 587-6645 on or after May 1, 2019 | (877) 587-6641 on or after Jan 1, 2020 | (855) 258-8475 |
      | Medicare Advantage (MAPD)          | ?                                      | ?                                      | (877) 774-8592                         | ?                                      | ?              |
      | Prescription Drug (PDP)            | ?                                      | ?                                      | ?                                      | ?                                      | ?              |

  @RESET-2 @RESET-3 @RESET-4 @RESET-5 @RESET-6 @SERVICES-3 @LOCK-5 @decision-email-sender @decision-temporary-password-line @decision-reset-confirmation-title @decision-ok-returns-to-sign-in
  Scenario Outline: A temporary password arrives by email at the address on file, whichever identifier is given
    Given the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name "jessicacamp", the E-mail Address <E-mail Address> and the Agent Unique ID <Agent Unique ID>
    Then the producer sees the "Request Submitted" page
    And the page says "We sent you a temporary password to your email address on file."
    And the page has the button "OK"
    And the producer receives an email with the subject "Retail Producer Portal Password Reset"
    And the email comes from "Retail Producer Portal Customer Service <no-reply@rpp.example>"
    And the email reads:
      """
      Temporary Password: {temporary password}
      Hello! We recently received a request to reset your password for Retail Producer Portal – if you did not request, please call us at the number below.
      Important: please close your web browser and clear your history and cache before you begin these steps!
      1. Enter your User Name and the temporary password above on the Login page.
      2. Click Account button in upper right corner, then Edit Profile
      3. Scroll to bottom of the page to Change Password.
      4. Use the temporary password as the "Current Password"
      5. Enter a New Password use a combination of 6-9 letters and numbers.
      6. Confirm New Password by entering a second time.
      7. Click Update Password to finish.
      If you have any questions regarding this notification, please contact Producer Services toll free at any of the following numbers: IL: (888) 313-5526 MT: (855) 454-7109
      State Farm agents - please call 1-844-250-8201 for assistance.
      NOTE: Any replies to this mail will not be received.
      """
    And no other email is sent
    When the producer clicks "OK"
    Then the producer sees the "Please Sign-In" page

    Examples:
      | E-mail Address                     | Agent Unique ID |
      | "jessica.camp@example.com"         | nothing         |
      | nothing                            | "000600492"     |
      | " Jessica.Camp@EXAMPLE.com "       | nothing         |
      | their E-mail Address in upper case | nothing         |

  @RESET-3 @decision-both-identifiers-given
  Scenario: With both identifiers given and both matching, the email is sent
    Given the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name "jessicacamp", the E-mail Address "jessica.camp@example.com" and the Agent Unique ID "000600492"
    Then the producer sees the "Request Submitted" page
    And the producer receives an email with the subject "Retail Producer Portal Password Reset"

  @RESET-3 @RESET-5 @decision-forms-do-not-reveal-matches @decision-both-identifiers-given @decision-confirmation-wording
  Scenario Outline: Reset Password? data that match no account get the same confirmation, and no email goes anywhere
    Given another registered producer
    And the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name <User Name>, the E-mail Address <E-mail Address> and the Agent Unique ID <Agent Unique ID>
    Then the producer sees the "Request Submitted" page
    And the page says "We sent you a temporary password to your email address on file."
    And no email is sent

    Examples:
      | User Name     | E-mail Address             | Agent Unique ID |
      | "jessicacmp"  | their E-mail Address       | nothing         |
      | "jessicacamp" | "someone.else@example.com" | nothing         |
      | "jessicacamp" | nothing                    | "999999999"     |
      | "jessicacamp" | their E-mail Address       | "999999999"     |
      | "jessicacamp" | "someone.else@example.com" | "000600492"     |

  @RESET-2 @RESET-3 @decision-form-field-messages
  Scenario Outline: Reset Password? names a missing or malformed field and keeps the form open
    Given the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name <User Name>, the E-mail Address <E-mail Address> and the Agent Unique ID <Agent Unique ID>
    Then the producer sees the "Reset Password?" page
    And the page shows the message "<message>"
    And no email is sent

    Examples:
      | User Name     | E-mail Address         | Agent Unique ID | message                                                                                                   |
      | nothing       | their E-mail Address   | nothing         | User Name is required.                                                                                    |
      | "jessicacamp" | nothing                | nothing         | Please enter the User Name AND one of these: 1) Email Address OR 2) Agent Unique ID linked to your account. |
      | "jessicacamp" | "jessica.camp@"        | nothing         | E-mail Address must be an email address, such as name@example.com.                                       |
      | "jessicacamp" | nothing                | "12345"         | Agent Unique ID must be your nine-digit producer number.                                                  |
      | "jessicacamp" | nothing                | "00060049Z"     | Agent Unique ID must be your nine-digit producer number.                                                  |

  @RESET-2 @RESET-3 @decision-form-field-messages
  Scenario: With every field missing, each problem is named in the order of the form
    Given the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name nothing, the E-mail Address nothing and the Agent Unique ID nothing
    Then the producer sees the "Reset Password?" page
    And the page shows the messages:
      """
      User Name is required.
      Please enter the User Name AND one of these: 1) Email Address OR 2) Agent Unique ID linked to your account.
      """

  @RESET-6 @decision-temporary-password-rules
  Scenario: The temporary password is nine letters and digits
    Given the producer has requested a password reset
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    And the temporary password is 9 letters and digits, mixing upper and lower case
    And the email says "4. Use the temporary password as the "Current Password""

  @RESET-6 @RESET-7 @decision-temporary-password-rules
  Scenario Outline: The temporary password is case-sensitive
    Given the producer has requested a password reset
    When the producer logs in with the temporary password in <case>
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-1 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

    Examples:
      | case         |
      | upper case   |
      | lower case   |
      | swapped case |

  @RESET-7 @RESET-8 @RESET-9 @RESET-11 @RESET-12
  Scenario: Signed in with the temporary password, the producer changes it on Edit Profile
    Given the producer has requested a password reset
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page
    When the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    Then the producer sees the "Change Password" page
    And the page says:
      """
      Click "Update Password" to save the new password.
      Once the password has been changed you will be required to login using your new password.
      """
    And the page has the fields "Current Password", "New Password" and "Confirm New Password"
    And the fields "Current Password", "New Password" and "Confirm New Password" are marked required
    And the page has the button "Update Password"
    When the producer changes the password from the temporary password to "Santa2026"
    Then the producer sees the "Password Update" page
    And the page says "Your password has been updated."
    And the page has the button "Back to Profile Page"
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-12 @decision-temporary-password-rules
  Scenario: After the change, the old and the temporary passwords no longer work and the new one does
    Given the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from the temporary password to "Santa2026"
    Then the page says the password_updated text
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with the temporary password
    Then the page shows the LOCK-1 message
    When the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-9 @RESET-12
  Scenario: A signed-in producer can change the password with the current one
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2019" to "Santa2026"
    Then the producer sees the "Password Update" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-10
  Scenario Outline: A New Password of six to nine letters and/or numbers is accepted
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2019" to "<new password>"
    Then the producer sees the "Password Update" page
    And the page says "Your password has been updated."
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "<new password>"
    Then the producer sees the "Welcome" page

    Examples:
      | new password | what it has                |
      | abc123       | six characters             |
      | Abcde1234    | nine characters            |
      | abcdefg      | letters only               |
      | 20262026     | digits only                |
      | ABCDEFG      | upper case letters only    |
      | MiXeD123     | mixed case and digits      |

  @RESET-10 @decision-letters-are-ascii
  Scenario Outline: A New Password outside the policy is refused and the old password stays
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2019" to "<new password>"
    Then the producer sees the "Change Password" page
    And the page shows the new_password_policy message
    And the password is not changed

    Examples:
      | new password | what it has          |
      | abc12        | five characters      |
      | Abcde12345   | ten characters       |
      | abc12!       | a special character  |
      | abc 123      | a space              |
      | pässwort1    | a non-ASCII letter   |

  @RESET-9 @RESET-10 @decision-form-field-messages @decision-new-password-must-differ
  Scenario Outline: Change Password refuses a wrong Current Password, a mismatched confirmation, a missing field or an unchanged password
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password with Current Password <Current Password>, New Password <New Password> and Confirm New Password <Confirm New Password>
    Then the producer sees the "Change Password" page
    And the page shows the <message> message
    And the password is not changed

    Examples:
      | Current Password | New Password | Confirm New Password | message                         |
      | "Camp2018"       | "Santa2026"  | "Santa2026"          | current_password_incorrect      |
      | "camp2019"       | "Santa2026"  | "Santa2026"          | current_password_incorrect      |
      | "Camp2019"       | "Santa2026"  | "Santa2027"          | new_password_not_confirmed      |
      | "Camp2019"       | "Santa2026"  | "santa2026"          | new_password_not_confirmed      |
      | "Camp2019"       | "Camp2019"   | "Camp2019"           | new_password_unchanged          |
      | nothing          | "Santa2026"  | "Santa2026"          | change_password_fields_required |
      | "Camp2019"       | nothing      | "Santa2026"          | change_password_fields_required |
      | "Camp2019"       | "Santa2026"  | nothing              | change_password_fields_required |

  @RESET-9 @RESET-10 @decision-form-field-messages
  Scenario Outline: Each Change Password message reads letter for letter as decided
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password with Current Password <Current Password>, New Password <New Password> and Confirm New Password <Confirm New Password>
    Then the page shows the message "<text>"

    Examples:
      | Current Password | New Password | Confirm New Password | text                                                                                                            |
      | "Camp2019"       | "Santa2026"  | "Santa2027"          | The New Password and Confirm New Password do not match.                                                         |
      | "Camp2019"       | "Camp2019"   | "Camp2019"           | The New Password must be different from the Current Password and from the password it replaces.                 |
      | nothing          | "Santa2026"  | "Santa2026"          | Current Password, New Password and Confirm New Password are required.                                           |
      | "Camp2019"       | "abc12"      | "abc12"              | The New Password must be six to nine characters, letters and/or numbers only; no special characters are allowed. |

  @RESET-9 @RESET-10 @decision-change-password-message-order
  Scenario Outline: With two mistakes at once, Change Password shows the message of the first in the form's order
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password with Current Password <Current Password>, New Password <New Password> and Confirm New Password <Confirm New Password>
    Then the producer sees the "Change Password" page
    And the page shows the <message> message

    Examples:
      | Current Password | New Password | Confirm New Password | message                         | mistakes                      |
      | nothing          | "abc"        | "abd"                | change_password_fields_required | missing, policy, confirmation |
      | "Camp2018"       | "abc"        | "abc"                | current_password_incorrect      | current, policy               |
      | "Camp2018"       | "Santa2026"  | "Santa2027"          | current_password_incorrect      | current, confirmation         |
      | "Camp2019"       | "abc!"       | "abd!"               | new_password_policy             | policy, confirmation          |
      | "Camp2019"       | "Camp2019"   | "Camp2018"           | new_password_not_confirmed      | confirmation, unchanged       |

  @RESET-9 @LOCK-2 @decision-wrong-current-password-counts @decision-failures-counted-per-user-name
  Scenario: Wrong Current Passwords count toward the lock-out: the third locks the account and signs the session out
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2018" to "Santa2026"
    And the producer changes the password from "Camp2017" to "Santa2026"
    Then the producer sees the "Change Password" page
    And the page shows the message "The Current Password is not correct."
    When the producer changes the password from "Camp2016" to "Santa2026"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-2 message
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message

  @RESET-9 @RESET-10 @LOCK-2 @decision-wrong-current-password-counts @decision-change-password-message-order
  Scenario: After two wrong Current Passwords, a missing field or a New Password outside the policy neither counts nor ends the session
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2018" to "Santa2026"
    And the producer changes the password from "Camp2017" to "Santa2026"
    And the producer changes the password with Current Password nothing, New Password "Santa2026" and Confirm New Password "Santa2026"
    Then the producer sees the "Change Password" page
    And the page shows the change_password_fields_required message
    When the producer changes the password from "Camp2019" to "abc!"
    Then the producer sees the "Change Password" page
    And the page shows the new_password_policy message
    When the producer changes the password from "Camp2016" to "Santa2026"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-2 message

  @RESET-9 @LOCK-2 @decision-wrong-current-password-counts
  Scenario: Wrong Current Passwords and wrong Passwords are one run of failures
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2018" to "Santa2026"
    And the producer changes the password from "Camp2017" to "Santa2026"
    And the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2016"
    Then the page shows the LOCK-2 message

  @RESET-12 @decision-password-change-ends-other-sessions @decision-change-password-keeps-session @decision-failures-counted-per-user-name
  Scenario: Changing the password signs the account out of every other browser
    Given the producer has signed in with their password
    When the producer opens another browser
    And the producer logs in with "Camp2019"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    Then the producer sees the "Password Update" page
    When the producer returns to the first browser
    And the producer selects the state "NM"
    Then the producer sees the "Please Sign-In" page
    And the page shows no message
    When the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer opens another browser
    And the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-12 @decision-password-change-ends-other-sessions @decision-failures-counted-per-user-name
  Scenario: A session ended by another browser's change is signed out whichever page it was on
    Given the producer has signed in with their password
    When the producer selects the state "NM"
    And the producer opens another browser
    And the producer logs in with "Camp2019"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    And the producer returns to the first browser
    And the producer chooses "Edit Profile" from the "Account" menu
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message

  @RESET-12 @decision-password-change-ends-other-sessions
  Scenario: Update Password in a session another browser has ended signs it out and changes nothing
    Given the producer has signed in and opened Edit Profile
    When the producer opens another browser
    And the producer logs in with "Camp2019"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    And the producer returns to the first browser
    And the producer changes the password from "Camp2019" to "Rio2027"
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-12 @decision-password-change-ends-other-sessions @decision-failures-counted-per-user-name
  Scenario: A session another browser has ended cannot change the password, even with the new one as Current Password
    Given the producer has signed in and opened Edit Profile
    When the producer opens another browser
    And the producer logs in with "Camp2019"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    And the producer returns to the first browser
    And the producer changes the password from "Santa2026" to "Rio2027"
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

  @RESET-11 @RESET-12 @decision-password-change-ends-other-sessions @decision-failures-counted-per-user-name
  Scenario: Back to Profile Page after another browser changed the password again signs out
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2019" to "Santa2026"
    And the producer opens another browser
    And the producer logs in with "Santa2026"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Santa2026" to "Rio2027"
    And the producer returns to the first browser
    And the producer clicks "Back to Profile Page"
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with the User Name "jessicacmp" and the Password "Rio2027"
    And the producer logs in with the User Name "jessicacmp" and the Password "Rio2027"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message

  @RESET-9 @LOCK-3 @LOCK-4 @decision-wrong-current-password-counts @decision-reset-completes-on-update-password
  Scenario: Signed in to a locked account with the temporary password, wrong Current Passwords still end the session
    Given the producer has locked their account
    And the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from "Camp2018" to "Santa2026"
    And the producer changes the password from "Camp2017" to "Santa2026"
    Then the page shows the message "The Current Password is not correct."
    When the producer changes the password from "Camp2016" to "Santa2026"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-2 message
    When the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @RESET-9 @decision-temporary-session-current-password @decision-wrong-current-password-counts
  Scenario: Signed in with the temporary password, only the temporary password is the Current Password
    Given the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from "Camp2019" to "Santa2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    When the producer changes the password from the temporary password to "Santa2026"
    Then the producer sees the "Password Update" page
    When the producer clicks "Back to Profile Page"
    And the producer changes the password from "Santa2026" to "Rio2027"
    Then the producer sees the "Password Update" page

  @RESET-9 @decision-temporary-session-current-password @decision-temporary-password-rules
  Scenario Outline: Signed in with the password after a reset request, the password and the temporary password are each a Current Password
    Given the producer has requested a password reset
    And the producer has signed in with their password
    And the producer has opened Edit Profile
    When the producer changes the password from <Current Password> to "Santa2026"
    Then the producer sees the "Password Update" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

    Examples:
      | Current Password           |
      | "Camp2019"                 |
      | the temporary password     |

  @RESET-6 @RESET-9 @decision-temporary-session-current-password @decision-temporary-password-rules
  Scenario: A reset requested in another browser voids the temporary password a session signed in with; the newer one is its Current Password
    Given the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer opens another browser
    Given the producer has requested another password reset
    When the producer returns to the first browser
    And the producer changes the password from the first temporary password to "Santa2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    When the producer changes the password from the temporary password to "Santa2026"
    Then the producer sees the "Password Update" page

  @RESET-10 @decision-new-password-must-differ @decision-new-password-unchanged-message
  Scenario: After a reset the password from before it cannot be chosen again, and the message names both passwords
    Given the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from the temporary password to "Camp2019"
    Then the producer sees the "Change Password" page
    And the page shows the message "The New Password must be different from the Current Password and from the password it replaces."
    When the producer changes the password from the temporary password to the temporary password
    Then the page shows the new_password_unchanged message

  @RESET-11 @decision-change-password-keeps-session
  Scenario: After Update Password the producer stays signed in and goes back to the profile page
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2019" to "Santa2026"
    And the producer clicks "Back to Profile Page"
    Then the producer sees the "Change Password" page
    When the producer changes the password from "Santa2026" to "Rio2027"
    Then the producer sees the "Password Update" page

  @RESET-6 @RESET-7 @decision-temporary-password-lifetime
  Scenario: The temporary password still works a minute before 24 hours have passed
    Given the producer has requested a password reset with their Agent Unique ID
    When 1439 minutes pass
    And the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @RESET-6 @decision-temporary-password-lifetime
  Scenario: After 24 hours the temporary password has expired
    Given the producer has requested a password reset
    When 24 hours pass
    And the producer logs in with the temporary password
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-1 message

  @RESET-6 @decision-temporary-password-rules
  Scenario: A newer reset voids the earlier temporary password
    Given the producer has requested a password reset
    And the producer has requested another password reset
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    When the producer logs in with the first temporary password
    Then the page shows the LOCK-1 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @RESET-6 @decision-temporary-password-rules
  Scenario: Each reset request sends an email with a temporary password of its own
    Given the producer has requested a password reset
    And the producer has requested another password reset
    Then the producer receives 2 emails with the subject "Retail Producer Portal Password Reset"
    And the second temporary password differs from the first temporary password
    When the producer logs in with the second temporary password
    Then the producer sees the "Welcome" page

  @RESET-6 @RESET-7 @decision-temporary-password-rules
  Scenario: A second request from the confirmation page sends another email, whose password is the one that works
    Given the producer is on the "Reset Password?" page
    When the producer submits Reset Password? with the User Name their user name and the E-mail Address their E-mail Address
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    When the producer clicks "OK"
    And the producer clicks "Reset Password?"
    And the producer submits Reset Password? with the User Name their user name and the Agent Unique ID their Agent Unique ID
    Then the producer receives another email with the subject "Retail Producer Portal Password Reset"
    And the temporary password differs from the first temporary password
    When the producer clicks "OK"
    And the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @RESET-12 @decision-temporary-password-rules
  Scenario: Someone else's reset request does not lock the producer out: the old password works until the change
    Given the producer has requested a password reset
    When the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page
