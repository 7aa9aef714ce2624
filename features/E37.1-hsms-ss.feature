@hsms-ss
Feature: HSMS-SS rules (SEMI E37.1)
  We do not hold the E37.1 text; these rules follow the public reading in NOTES.md. One session
  only, control messages with session id 0xFFFF, no Deselect, Linktest only when SELECTED.

  @E37.1-control-session-id @MUST @hsms-ss
  Scenario Outline: The IUT's answer to <message> carries session id 0xFFFF
    Given a selected connection to the IUT
    When the tester sends <message>
    Then the IUT answers with a control message
    And every control message the IUT sent carries session id 0xFFFF

    Examples:
      | message      |
      | Linktest.req |
      | Select.req   |
      | Deselect.req |

  @E37.1-control-session-id @MUST @hsms-ss
  Scenario: The IUT's Reject.req for an unknown SType carries session id 0xFFFF
    Given a selected connection to the IUT
    When the tester sends a message with PType 0 and SType 11
    Then the IUT answers with a control message
    And every control message the IUT sent carries session id 0xFFFF

  @E37.1-control-session-id @MUST @hsms-ss @iut-active
  Scenario: The active IUT's Select.req carries session id 0xFFFF
    Given a connection from the IUT that sent Select.req
    Then every control message the IUT sent carries session id 0xFFFF

  @E37.1-control-session-id @MUST @hsms-ss @needs-control
  Scenario: The IUT's Linktest.req and Separate.req carry session id 0xFFFF
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    And the tester now answers the IUT's open request
    And the IUT is made to send Separate.req
    Then every control message the IUT sent carries session id 0xFFFF

  @E37.1-deselect-not-used @MUST @hsms-ss
  Scenario: Deselect.req draws Deselect.rsp or Reject.req reason 1
    Given a selected connection to the IUT
    When the tester sends Deselect.req
    Then the IUT answers the Deselect.req with Deselect.rsp or rejects it with reason 1

  @E37.1-linktest-selected-only @MUST @hsms-ss @needs-control
  Scenario: The IUT sends Linktest.req while SELECTED
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    Then the IUT's Linktest.req came while the connection was SELECTED

  @E37.1-linktest-selected-only @MUST @hsms-ss
  Scenario: The IUT sends no Linktest.req on a NOT SELECTED connection
    Given a connection to the IUT that is not selected
    Then the IUT sends no Linktest.req while the connection is NOT SELECTED

  @E37.1-single-session @MUST @hsms-ss @iut-passive
  Scenario: A second connection gets no session while one is selected
    Given a selected connection to the IUT
    When the tester sends Select.req on a second connection
    Then the second connection gets no HSMS session
    And the IUT is selected

  @E37.1-t3-no-close @MUST @hsms-ss @needs-control
  Scenario: T3 expiry cancels the transaction and keeps the connection
    Given a selected connection to the IUT
    When the IUT is made to send S1F1 W and the tester holds the reply
    And the tester sends the reply to the IUT's primary after T3
    Then the IUT kept the connection through the T3 timeout
    And the IUT is selected

  @E37.1-not-selected-failure @SHOULD @hsms-ss @iut-passive
  Scenario Outline: <message> in NOT SELECTED is a failure the IUT may close on
    # Closing passes; so does the E37 answer (Linktest.rsp, or a Reject.req whose reason E37-7.7.2 judges).
    Given a connection to the IUT that is not selected
    When the tester sends <message>
    Then the IUT closes the connection or answers the message as E37 prescribes

    Examples:
      | message      |
      | S1F1 W       |
      | Linktest.req |
