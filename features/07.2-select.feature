@E37-7.2
Feature: Select procedure (E37 7.2)
  Select establishes HSMS communication on a TCP connection. The responding entity answers
  Select.req with Select.rsp; status 0 enters SELECTED, any other status leaves the state as it was.

  @E37-7.2.2 @MUST @tester-selects
  Scenario: The IUT accepts Select.req in NOT SELECTED
    Given a connection to the IUT that is not selected
    When the tester sends Select.req
    Then the IUT answers with Select.rsp status 0
    And the IUT is selected

  @E37-7.2 @MUST @e37-only
  Scenario: Select.req while already SELECTED draws status 1
    # NOTES.md: status 1 expected, status 0 is WARN, a Reject or a close fails.
    Given a selected connection to the IUT
    When the tester sends Select.req
    Then the IUT answers a repeated Select.req with status 1
    And the IUT is selected

  @E37.1-select-only-not-selected @MUST @hsms-ss
  Scenario: HSMS-SS: Select.req while already SELECTED draws status 1
    # NOTES.md: an active IUT may instead reject the tester's Select.req with reason 1.
    Given a selected connection to the IUT
    When the tester sends Select.req
    Then the IUT answers a repeated Select.req with status 1
    And the IUT is selected

  @E37-8.2.3 @MUST @tester-selects
  Scenario Outline: Select.rsp echoes session id <session id> and the system bytes of the Select.req
    Given a connection to the IUT that is not selected
    When the tester sends Select.req with session id <session id>
    Then the IUT answers with a Select.rsp
    And the response echoes the session id of the request
    And the response echoes the system bytes of the request
    And the response has header bytes 2 and 3 as E37-8.2 defines, PType 0 and no text

    Examples:
      | session id |
      | 0          |
      | 0x7FFF     |
      | 0x8000     |
      | 0xFFFF     |

  @E37-7.2.1 @MUST @iut-active
  Scenario: An active IUT selects after connecting and enters SELECTED on status 0
    Given a connection from the IUT that sent Select.req
    When the tester answers the Select.req with status 0
    Then the IUT is selected

  @E37-7.2.1 @MUST @iut-active
  Scenario Outline: A non-zero Select.rsp status <status> leaves the IUT NOT SELECTED
    Given a connection from the IUT that sent Select.req
    When the tester answers the Select.req with status <status>
    Then the IUT is not selected

    Examples:
      | status | meaning                      |
      | 1      | Communication Already Active |
      | 2      | Connection Not Ready         |
      | 3      | Connect Exhaust              |
      | 128    | local entity-specific        |

  @E37-8.2.2 @MUST @iut-active
  Scenario: The IUT's Select.req has the format of E37 8.2.2
    Given a connection from the IUT that sent Select.req
    Then the Select.req has header bytes 2 and 3 zero, PType 0 and no text

  @E37-7.2.3 @MUST @iut-active @e37-only
  Scenario: Simultaneous Select: the IUT accepts the tester's Select.req while its own is open
    # Each entity accepts the other's Select.req; HSMS-SS restricts Select, so generic E37 only.
    Given a connection from the IUT whose Select.req the tester holds
    When the tester sends Select.req
    Then the IUT answers with Select.rsp status 0
    When the tester now answers the IUT's open request
    Then the IUT is selected
