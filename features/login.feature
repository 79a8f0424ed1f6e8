@login
Feature: Login
  The login page, "Please Sign-In": a producer enters the User Name and Password
  created at registration and clicks "Login". Once signed in, the producer selects a
  state and uses the "Account" menu at the top right, which holds "Edit Profile".

  Background:
    Given a registered producer:
      | User Name   | Password | Agent Unique ID | E-mail Address           | State |
      | jessicacamp | Camp2019 | 000600492       | jessica.camp@example.com | TX    |

  @LOGIN-1 @LOGIN-3
  Scenario: The login page asks for the User Name and Password
    When the producer opens the portal
    Then the producer sees the "Please Sign-In" page
    And the page has the fields "User Name" and "Password"
    And the page marks no field required
    And the page has the buttons "Register" and "Login"
    And the page has the links "Forgot User Name?" and "Reset Password?"
    And the page has the menus "Menu" and "Account"
    And the page says:
      """
      Welcome
      Welcome to the Retail Producer Portal.
      This site provides 24-hour access to information and tools to help you better manage your business and service your clients.
      You can:
      Check the status of your applications and current business
      Search for clients using preset quick or advanced searches
      Verify payment status
      Download forms
      Access training materials
      """
    And the page shows no message

  @LOGIN-2 @LOGIN-3 @decision-login-opens-welcome @decision-welcome-page-content
  Scenario: The User Name and Password created at registration open the Welcome page
    When the producer logs in with the User Name "jessicacamp" and the Password "Camp2019"
    Then the producer sees the "Welcome" page
    And the page shows no message
    And the page has the menus "Menu" and "Account"
    And the page says:
      """
      Welcome to the Retail Producer Portal.
      This site provides 24-hour access to information and tools to help you better manage your business and service your clients.
      You can:
      Check the status of your applications and current business
      Search for clients using preset quick or advanced searches
      Verify payment status
      Download forms
      Access training materials
      """

  @LOGIN-4 @decision-edit-profile-after-state
  Scenario: Once signed in, the producer selects a state and finds Edit Profile in the Account menu
    Given the producer has signed in with their password
    Then the page has the menus "Menu" and "Account"
    And the page has the field "State"
    And the field "State" is not marked required
    And the page has no links
    When the producer selects the state "TX"
    Then the producer sees the "Welcome" page
    And the page has the menus "Menu" and "Account"
    And the page has the field "State"
    And the page has the link "Edit Profile"
    When the producer selects the state "OK"
    And the producer chooses "Edit Profile" from the "Account" menu
    Then the producer sees the "Change Password" page

  @LOGIN-4 @RESET-8 @decision-edit-profile-after-state
  Scenario: The Account menu offers Edit Profile only once a state is selected
    Given the producer has signed in with their password
    Then the "Account" menu does not offer "Edit Profile"
    When the producer selects the state "TX"
    Then the "Account" menu offers "Edit Profile"

  @LOGIN-2 @decision-success-resets-failures
  Scenario: Another producer's password does not open the producer's account
    Given another registered producer:
      | User Name | Password | E-mail Address          |
      | jordanlee | Lee2019x | jordan.lee@example.com  |
    When the producer opens the portal
    And the producer logs in with "Lee2019x"
    Then the page shows the LOCK-1 message
    When the producer logs in with their password
    Then the producer sees the "Welcome" page

  @LOGIN-4 @decision-states-offered
  Scenario Outline: Each of the guide's states can be selected
    Given the producer has signed in with their password
    When the producer selects the state "<state>"
    Then the page has the link "Edit Profile"

    Examples:
      | state |
      | IL    |
      | MT    |
      | NM    |
      | OK    |
      | TX    |

  @LOGIN-4 @decision-states-offered
  Scenario: A state the portal does not serve cannot be selected
    Given the producer has signed in with their password
    When the producer selects the state "CA"
    Then the producer sees the "Welcome" page
    And the page has no links

  @LOGIN-4 @decision-states-offered
  Scenario: The State field keeps the last state served that was chosen
    Given the producer has signed in with their password
    Then the State field shows no state chosen
    When the producer selects the state "TX"
    Then the State field shows "TX" chosen
    When the producer selects the state "CA"
    Then the State field shows "TX" chosen
    And the page has the link "Edit Profile"
    When the producer selects the state "OK"
    Then the State field shows "OK" chosen

  @LOGIN-2 @decision-identifiers-case
  Scenario: The User Name is read without case or surrounding spaces, the Password with case
    When the producer logs in with the User Name "  JessicaCamp " and the Password "Camp2019"
    Then the producer sees the "Welcome" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with the User Name their user name in upper case and the Password their password
    Then the producer sees the "Welcome" page
    When the producer closes the browser and clears its history and cache
    And the producer logs in with the User Name "jessicacamp" and the Password "CAMP2019"
    Then the producer sees the "Please Sign-In" page
    And the page shows the LOCK-1 message

  @LOCK-5 @decision-fresh-browser-not-enforced
  Scenario: Closing the browser and clearing its cache starts again, signed out, at the login page
    Given the producer has signed in with their password
    When the producer closes the browser and clears its history and cache
    Then the producer sees the "Please Sign-In" page
    And the page has the fields "User Name" and "Password"
    And the page shows no message

  @LOGIN-1 @USER-1 @RESET-1 @decision-portal-address
  Scenario Outline: The portal's address leaves a form unsubmitted and shows Please Sign-In
    Given the producer is on the "<form>" page
    When the producer enters their E-mail Address in "E-mail Address"
    And the producer opens the portal's address
    Then the producer sees the "Please Sign-In" page
    And the page shows no message
    And no email is sent

    Examples:
      | form              |
      | Forgot User Name? |
      | Reset Password?   |

  @LOGIN-1 @USER-5 @RESET-5 @decision-portal-address
  Scenario Outline: The portal's address after a Request Submitted confirmation shows Please Sign-In
    Given the producer is on the "<form>" page
    When the producer <submits>
    Then the producer sees the "Request Submitted" page
    When the producer opens the portal's address
    Then the producer sees the "Please Sign-In" page

    Examples:
      | form              | submits                                                                                                       |
      | Forgot User Name? | submits Forgot User Name? with the Agent Unique ID their Agent Unique ID and the E-mail Address their E-mail Address |
      | Reset Password?   | submits Reset Password? with the User Name their user name and the E-mail Address their E-mail Address               |

  @LOGIN-1 @LOCK-1 @decision-portal-address
  Scenario: The portal's address shows Please Sign-In afresh after a refused login, the failure still counted
    When the producer logs in with "Wrong0000"
    Then the page shows the LOCK-1 message
    When the producer opens the portal's address
    Then the producer sees the "Please Sign-In" page
    And the page shows no message
    When the producer logs in with "Wrong0001"
    And the producer logs in with "Wrong0002"
    Then the page shows the LOCK-2 message

  @LOGIN-1 @LOGIN-3 @LOGIN-4 @decision-portal-address
  Scenario: Signed in, the portal's address opens the Welcome page, still signed in, the state kept
    Given the producer has signed in with their password
    When the producer opens the portal's address
    Then the producer sees the "Welcome" page
    And the State field shows no state chosen
    And the page has no links
    When the producer selects the state "TX"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer opens the portal's address
    Then the producer sees the "Welcome" page
    And the State field shows "TX" chosen
    When the producer opens the portal's address
    Then the State field shows "TX" chosen
    When the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    Then the producer sees the "Password Update" page
    When the producer opens the portal's address
    Then the producer sees the "Welcome" page
    And the page has the link "Edit Profile"

  @LOGIN-1 @RESET-12 @decision-portal-address @decision-password-change-ends-other-sessions @decision-failures-counted-per-user-name
  Scenario Outline: The portal's address in a session another browser's change has ended shows Please Sign-In, signed out
    Given the producer <has signed in>
    When the producer <goes on>
    And the producer opens another browser
    And the producer logs in with "Camp2019"
    And the producer selects the state "NM"
    And the producer chooses "Edit Profile" from the "Account" menu
    And the producer changes the password from "Camp2019" to "Santa2026"
    And the producer returns to the first browser
    And the producer opens the portal's address
    Then the producer sees the "Please Sign-In" page
    When the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with the User Name "jessicacmp" and the Password "Santa2026"
    And the producer logs in with "Camp2018"
    Then the page shows the LOCK-1 message
    When the producer logs in with "Santa2026"
    Then the producer sees the "Welcome" page

    Examples:
      | has signed in                         | goes on                              |
      | has signed in with their password     | opens the portal's address           |
      | has signed in with their password     | selects the state "NM"               |
      | has signed in and opened Edit Profile | enters "Santa2026" in "New Password" |
