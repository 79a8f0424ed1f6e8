@lockout
Feature: Account lock-outs
  A wrong User Name and/or Password on the first and second consecutive attempt shows
  a warning; the third consecutive failure temporarily locks the account. A locked
  account cannot log in, even with the right password, until it is unlocked; the way
  out is "Forgot User Name?" and/or "Reset Password?", and a completed password reset
  unlocks the account: the reset is complete when "Update Password" succeeds, and
  until then a locked account accepts its valid temporary password and nothing else.

  Background:
    Given a registered producer:
      | User Name   | Password | Agent Unique ID | E-mail Address           | State |
      | jessicacamp | Camp2019 | 000600492       | jessica.camp@example.com | IL    |

  @LOCK-1 @LOCK-2
  Scenario: The first and second failures warn, the third consecutive failure locks the account
    When the producer logs in with "Camp2018"
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "We're sorry, this Username/Password combination does not match your account information – please try again. After three attempts, your account will be temporarily locked for your protection. Please click Forgot Username and/or Reset Password for help."
    When the producer logs in with "camp2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "We're sorry, this Username/Password combination does not match your account information – please try again. After three attempts, your account will be temporarily locked for your protection. Please click Forgot Username and/or Reset Password for help."
    When the producer logs in with "Camp 2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "We're sorry, your account is now temporarily locked as a security precaution due to three unsuccessful login attempts. Please click Forgot Username and/or Reset Password for help."

  @LOCK-3 @decision-locked-login-message
  Scenario: A locked account refuses even the right password, attempt after attempt
    Given the producer has locked their account
    When the producer logs in with "Camp2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "We're sorry, your account is now temporarily locked as a security precaution due to three unsuccessful login attempts. Please click Forgot Username and/or Reset Password for help."
    When the producer logs in with "Camp2018"
    Then the page shows the message "We're sorry, your account is now temporarily locked as a security precaution due to three unsuccessful login attempts. Please click Forgot Username and/or Reset Password for help."
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "We're sorry, your account is now temporarily locked as a security precaution due to three unsuccessful login attempts. Please click Forgot Username and/or Reset Password for help."

  @LOCK-1 @LOCK-2 @decision-success-resets-failures
  Scenario: A successful login between failures starts the count again: the failures must be consecutive
    When the producer logs in with "Camp2018"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2018"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2018"
    Then the page shows the LOCK-2 message

  @LOCK-1 @LOCK-2 @decision-unknown-user-name
  Scenario: A User Name nobody has sees the same messages in the same order, and locks nobody out
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer logs in with the User Name "jessicacamp" and the Password "Camp2019"
    Then the producer sees the "Welcome" page

  @LOCK-1 @LOGIN-2 @decision-empty-login-counts
  Scenario Outline: A missing User Name or Password is a failed attempt like any wrong one
    When the producer logs in with the User Name <User Name> and the Password <Password>
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-1 message
    When the producer logs in with the User Name <User Name> and the Password <Password>
    And the producer logs in with the User Name <User Name> and the Password <Password>
    Then the page shows the LOCK-2 message

    Examples:
      | User Name     | Password   |
      | "jessicacamp" | nothing    |
      | nothing       | "Camp2019" |
      | nothing       | nothing    |

  @LOCK-1 @LOGIN-2 @decision-empty-login-counts
  Scenario Outline: Read the other way, a missing User Name or Password is asked for and counts nothing
    Given the portal does not count an empty User Name or Password as a failed attempt
    When the producer logs in with "Camp2018"
    And the producer logs in with the User Name <User Name> and the Password <Password>
    Then the producer sees the "Please Sign-In" page
    And the page shows the message "User Name and Password are required."
    When the producer logs in with the User Name <User Name> and the Password <Password>
    And the producer logs in with "Camp2017"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page

    Examples:
      | User Name     | Password   |
      | "jessicacamp" | nothing    |
      | nothing       | "Camp2019" |
      | nothing       | nothing    |

  @LOCK-3 @LOCK-4 @decision-temporary-lock-duration
  Scenario: As shipped, a locked account stays locked however long the producer waits
    Given the producer has locked their account
    When 30 days pass
    And the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message

  @LOCK-2 @decision-temporary-lock-duration
  Scenario: With an auto-unlock time set, the lock lifts after that time and the count starts again
    Given the portal unlocks locked accounts automatically after 30 minutes
    And the producer has locked their account
    When 29 minutes pass
    And the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message
    When 1 minute passes
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page

  @LOCK-3 @LOCK-4 @decision-username-recovery-does-not-unlock
  Scenario: Recovering the user name alone does not unlock the account
    Given the producer has locked their account
    When the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer receives an email with the subject "Retail Producer Portal User Name"
    And the account is locked
    When the producer clicks "OK"
    And the producer logs in with "Camp2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-2 message

  @LOCK-4 @RESET-7 @RESET-12 @decision-reset-completes-on-update-password @decision-temporary-password-rules
  Scenario: A locked account accepts the temporary password but stays locked until Update Password completes the reset
    Given the producer has locked their account
    When the producer clicks "Reset Password?"
    And the producer submits Reset Password? with the User Name their user name and the Agent Unique ID their Agent Unique ID
    Then the producer receives an email with the subject "Retail Producer Portal Password Reset"
    When the producer clicks "OK"
    And the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page
    And the account is locked
    When the producer selects the state "IL"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from the temporary password to "Texas2026"
    Then the producer sees the "Password Update" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Texas2026"
    Then the producer sees the "Welcome" page

  @LOCK-3 @LOCK-4 @RESET-9 @RESET-12 @decision-wrong-current-password-counts @decision-reset-completes-on-update-password
  Scenario: A wrong Current Password keeps a locked account locked, and the completed reset starts the count again
    Given the producer has locked their account
    And the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from "Camp2018" to "Texas2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    And the account is locked
    When the producer changes the password from the temporary password to "Texas2026"
    Then the producer sees the "Password Update" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2018"
    And the producer logs in with "Camp2017"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Texas2026"
    Then the producer sees the "Welcome" page

  @LOCK-3 @LOCK-4 @RESET-9 @decision-temporary-session-current-password @decision-reset-completes-on-update-password @decision-wrong-current-password-counts
  Scenario: Signed in to a locked account with the temporary password, the password from before the lock is not the Current Password
    Given the producer has locked their account
    And the producer has requested a password reset
    And the producer has signed in with the temporary password
    And the producer has opened Edit Profile
    When the producer changes the password from "Camp2019" to "Texas2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    And the account is locked
    When the producer changes the password from "Camp2019" to "Texas2026"
    And the producer changes the password from "Camp2019" to "Texas2026"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-2 message
    When the producer logs in with "Texas2026"
    Then the page shows the LOCK-2 message
    When the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @LOCK-1 @RESET-9 @RESET-12 @decision-wrong-current-password-counts @decision-success-resets-failures
  Scenario: Update Password with the right Current Password ends a run of wrong Current Passwords
    Given the producer has signed in and opened Edit Profile
    When the producer changes the password from "Camp2018" to "Texas2026"
    Then the page shows the current_password_incorrect message
    When the producer changes the password from "Camp2019" to "Texas2026"
    Then the producer sees the "Password Update" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2017"
    And the producer logs in with "Camp2016"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Texas2026"
    Then the producer sees the "Welcome" page

  @LOCK-1 @RESET-9 @RESET-10 @decision-wrong-current-password-counts
  Scenario: Read the other way, a wrong Current Password is refused and counts nothing
    Given the portal does not count a wrong Current Password toward the lock-out
    And the producer has signed in and opened Edit Profile
    When the producer changes the password with Current Password nothing, New Password "Texas2026" and Confirm New Password "Texas2026"
    Then the page shows the change_password_fields_required message
    When the producer changes the password from "Camp2018" to "Texas2026"
    Then the page shows the current_password_incorrect message
    When the producer changes the password from "Camp2017" to "Texas2026"
    And the producer changes the password from "Camp2016" to "Texas2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    When the producer opens another browser
    And the producer logs in with "Camp2015"
    And the producer logs in with "Camp2014"
    And the producer returns to the first browser
    And the producer changes the password from "Camp2013" to "Texas2026"
    Then the producer sees the "Change Password" page
    And the page shows the current_password_incorrect message
    When the producer changes the password from "Camp2019" to "Tex-2026"
    Then the page shows the new_password_policy message
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page

  @LOCK-4 @RESET-6 @decision-reset-completes-on-update-password @decision-temporary-password-rules
  Scenario: A second reset while locked voids the first temporary password; the account stays locked to it
    Given the producer has locked their account
    And the producer has requested a password reset
    And the producer has requested another password reset with their Agent Unique ID
    When the producer logs in with the first temporary password
    Then the page shows the LOCK-2 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @LOCK-4 @RESET-6 @decision-reset-completes-on-update-password @decision-temporary-password-lifetime
  Scenario: A locked account whose temporary password expired needs a new reset
    Given the producer has locked their account
    And the producer has requested a password reset
    When 24 hours pass
    And the producer logs in with the temporary password
    Then the page shows the LOCK-2 message
    Given the producer has requested another password reset
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @LOCK-1 @LOCK-2 @RESET-7 @decision-temporary-sign-in-resets-failures
  Scenario: Signing in with the temporary password breaks the run of failures
    Given the producer has requested a password reset
    When the producer logs in with "Camp2018"
    And the producer logs in with "Camp2017"
    Then the page shows the LOCK-1 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2016"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2015"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2014"
    Then the page shows the LOCK-2 message

  @LOCK-1 @LOCK-2 @decision-failures-counted-per-user-name @decision-unknown-user-name
  Scenario: Failures count per User Name: a wrong User Name, then two wrong passwords for the real one, locks nothing
    When the producer logs in with the User Name "jessicacmp" and the Password "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Camp2017"
    Then the page shows the LOCK-1 message
    And the page does not show the LOCK-2 message
    When the producer logs in with "Camp2019"
    Then the producer sees the "Welcome" page

  @LOCK-1 @LOCK-2 @decision-wrong-temporary-password-counts
  Scenario: A temporary password in the wrong case is a failed attempt that counts toward the lock-out
    Given the producer has requested a password reset
    When the producer logs in with the temporary password in swapped case
    And the producer logs in with the temporary password in swapped case
    Then the page shows the LOCK-1 message
    When the producer logs in with the temporary password in swapped case
    Then the page shows the LOCK-2 message
    When the producer logs in with the temporary password
    Then the producer sees the "Welcome" page

  @LOCK-2 @LOCK-3 @LOCK-4 @LOCK-5 @USER-1 @USER-4 @USER-5 @USER-6 @USER-7 @RESET-1 @RESET-4 @RESET-5 @RESET-6 @RESET-7 @RESET-8 @RESET-9 @RESET-11 @RESET-12 @decision-reset-completes-on-update-password @decision-temporary-password-rules
  Scenario: Locked out, the producer recovers the user name, resets the password and signs in with a new one
    When the producer logs in with "Camp2018"
    And the producer logs in with "Camp2017"
    And the producer logs in with "Camp2016"
    Then the page shows the LOCK-2 message
    When the producer logs in with "Camp2019"
    Then the page shows the LOCK-2 message
    When the producer clicks "Forgot User Name?"
    And the producer submits Forgot User Name? with the Agent Unique ID "000600492" and the E-mail Address "jessica.camp@example.com"
    Then the producer sees the "Request Submitted" page
    And the producer receives an email with the subject "Retail Producer Portal User Name"
    And the email lists the user names "jessicacamp"
    When the producer clicks "OK"
    And the producer clicks "Reset Password?"
    And the producer submits Reset Password? with the User Name "jessicacamp" and the E-mail Address "jessica.camp@example.com"
    Then the producer sees the "Request Submitted" page
    And the producer receives an email with the subject "Retail Producer Portal Password Reset"
    When the producer clicks "OK"
    And the producer closes the browser and clears its history and cache
    And the producer logs in with the User Name "jessicacamp" and the Password the temporary password
    Then the producer sees the "Welcome" page
    When the producer selects the state "IL"
    And the producer chooses "Edit Profile" from the "Account" menu
    Then the producer sees the "Change Password" page
    When the producer changes the password with Current Password the temporary password, New Password "Texas2026" and Confirm New Password "Texas2026"
    Then the producer sees the "Password Update" page
    And the page says the password_updated text
    And the page has the button "Back to Profile Page"
    When the producer closes the browser and clears its history and cache
    And the producer logs in with "Camp2019"
    Then the page shows the LOCK-1 message
    When the producer logs in with the temporary password
    Then the page shows the LOCK-1 message
    When the producer logs in with "Texas2026"
    Then the producer sees the "Welcome" page
