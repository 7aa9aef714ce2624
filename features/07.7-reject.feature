@E37-7.7
Feature: Reject procedure (E37 7.7)
  An otherwise valid message received in an inappropriate context draws Reject.req: a data
  message in NOT SELECTED (reason 4), an SType (reason 1) or PType (reason 2) the IUT does not
  support. A Reject keeps the connection up, and a Reject.req is never itself answered.

  @E37-7.7.2 @MUST
  Scenario: A data message in NOT SELECTED is rejected with reason 4 (Entity Not Selected)
    # Whether it is rejected at all is judged under E37-7.3; HSMS-SS may close instead.
    Given a connection to the IUT that is not selected
    When the tester sends S1F1 W
    Then the Reject.req it draws gives reason 4

  @E37-7.7.2 @MUST
  Scenario Outline: SType <sType> (<meaning>) is rejected with reason <reasons>
    # NOTES.md: for the unused even values 8 and 10, reason 1 or 3 both pass.
    Given a selected connection to the IUT
    When the tester sends a message with PType 0 and SType <sType>
    Then the IUT rejects it with reason <reasons>

    Examples:
      | sType | meaning                          | reasons |
      | 8     | not used                         | 1 or 3  |
      | 10    | not used                         | 1 or 3  |
      | 11    | reserved for subsidiary standards | 1       |
      | 127   | reserved for subsidiary standards | 1       |
      | 128   | reserved, not used               | 1       |
      | 255   | reserved, not used               | 1       |

  @E37-7.7.2 @MUST
  Scenario Outline: A data message with PType <pType> (<meaning>) is rejected with reason 2
    Given a selected connection to the IUT
    When the tester sends a data message S1F1 with PType <pType>
    Then the IUT rejects it with reason 2

    Examples:
      | pType | meaning                          |
      | 1     | reserved for subsidiary standards |
      | 127   | reserved for subsidiary standards |
      | 128   | reserved, not used               |
      | 255   | reserved, not used               |

  @E37-7.7 @MUST
  Scenario: A Reject keeps the connection usable
    Given a selected connection to the IUT
    And the IUT has rejected a message with an unknown SType
    Then the IUT still answers Linktest.req

  @E37-7.7 @MUST
  Scenario: A Reject.req the IUT receives is never answered
    # E37-7.7.1: the receiver's action is local; closing passes, a response fails.
    Given a selected connection to the IUT
    When the tester sends Reject.req
    Then the IUT does not answer the Reject.req

  @E37-7.7.1 @MUST @needs-control
  Scenario: A Reject.req answering the IUT's own Linktest.req is not answered
    # The IUT is the initiator of the rejected message: its reaction is E37-7.7.1's, as `analyze`
    # judges it from the wire too.
    Given a selected connection to the IUT
    When the tester makes the IUT send Linktest.req
    And the tester answers the IUT's request with a Reject.req
    Then the IUT does not answer the Reject.req

  @E37-7.7.1 @MUST @needs-control
  Scenario Outline: A Reject.req of the IUT's own primary (reason <reason>, <meaning>) draws no answer, and the session carries on unless the IUT ends it
    # E37-7.7.1: the IUT's reaction is local, within the rest of the standard: a Reject.req has
    # no response (8.2.8) and is no communication failure, so the IUT keeps the SELECTED
    # connection (E37-6.4) or ends the session itself with Separate.req before it closes.
    Given a selected connection to the IUT
    When the tester makes the IUT send S1F1 W
    And the tester rejects the IUT's primary with reason <reason>
    Then the IUT does not answer the Reject.req of its own message
    And the IUT still serves the session

    Examples:
      | reason | meaning                           |
      | 64     | reserved for subsidiary standards |
      | 128    | local entity-specific             |
