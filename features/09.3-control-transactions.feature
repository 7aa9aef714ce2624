@E37-9.3
Feature: Control transactions (E37 9.3)
  A control transaction is open from the .req until its .rsp; T6 limits how long it may stay
  open, and its expiry is a communication failure (9.3.1). Transactions are stateless: while one
  is open, any message valid in the state is handled as usual (9.3.2). Control messages of the
  STypes E37 defines have PType 0 and carry no text (9.3.3).

  @E37-9.3.1 @MUST @needs-control
  Scenario: The IUT closes the connection when its Linktest.req stays unanswered for T6
    # NOTES.md: closing is expected; keeping the connection is WARN; closing before T6 fails.
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    Then the IUT closes the connection T6 after its unanswered request

  @E37-9.3.1 @MUST @needs-control
  Scenario: A Linktest.rsp after T6 on a connection the IUT kept draws Reject reason 3
    # An IUT that closed at T6 has no connection to reject on: that is the preferred outcome.
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    And the tester answers the IUT's request after T6
    Then the IUT rejects the late response with reason 3 if it kept the connection

  @E37-9.3.2 @MUST @needs-control
  Scenario Outline: While its own Linktest.req is open the IUT handles the tester's <message> as usual
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    And the tester sends <message>
    Then the IUT handles the tester's message as usual
    When the tester now answers the IUT's open request
    Then the IUT is selected

    Examples:
      | message      |
      | Linktest.req |
      | S1F1 W       |

  @E37-9.3.2 @MUST @iut-active
  Scenario: While its own Select.req is open the IUT answers the tester's Linktest.req
    Given a connection from the IUT whose Select.req the tester holds
    When the tester sends Linktest.req
    Then the IUT handles the tester's message as usual
    When the tester now answers the IUT's open request
    Then the IUT is selected

  @E37-9.3.3 @MUST
  Scenario: The control messages the IUT answers with have PType 0 and no text
    Given a selected connection to the IUT
    When the tester provokes control messages from the IUT
    Then every control message the IUT sent has PType 0 and no text

  @E37-9.3.3 @MUST @needs-control
  Scenario: The control requests the IUT initiates have PType 0 and no text
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    And the tester now answers the IUT's open request
    Then every control message the IUT sent has PType 0 and no text

  @E37-9.3.3 @MUST
  Scenario Outline: <message> carrying text is never answered as valid
    # NOTES.md: the IUT should close (WARN otherwise, a Reject included); a valid answer fails;
    # it must keep serving new connections.
    Given <connection>
    When the tester sends <message> carrying message text
    Then the IUT does not answer it as valid and closes the connection
    And the IUT still accepts and answers a new connection

    Examples:
      | message      | connection                              |
      | Linktest.req | a selected connection to the IUT        |
      | Select.req   | a connection to the IUT that is not selected |
