@E37-7.4 @e37-only
Feature: Deselect procedure (E37 7.4)
  Deselect ends HSMS communication gracefully while SELECTED. The responding entity answers
  with Deselect.rsp: status 0 ends the session, a non-zero status leaves the state unchanged.
  HSMS-SS does not use Deselect (E37.1-deselect-not-used), so these scenarios are E37 only.

  @E37-7.4.2 @MUST
  Scenario: Deselect.req in SELECTED ends the session with status 0
    # A refusal for local reasons (status 2 or higher) with the session kept also passes.
    Given a selected connection to the IUT
    When the tester sends Deselect.req
    Then the IUT accepts the Deselect.req with status 0 and leaves SELECTED, or refuses it and stays SELECTED

  @E37-7.4.2 @MUST
  Scenario: Deselect.req in NOT SELECTED draws status 1, not a Reject
    # NOTES.md: 7.4.2 governs here, not the general Reject rule; a Reject fails.
    Given a connection to the IUT that is not selected
    When the tester sends Deselect.req
    Then the IUT refuses the Deselect.req with a non-zero status, 1 by definition

  @E37-7.4.1 @MUST @needs-control
  Scenario Outline: The IUT's Deselect.req answered with status <status> (<meaning>)
    Given a selected connection to the IUT
    When the tester makes the IUT send Deselect.req
    And the tester answers the Deselect.req with status <status>
    Then <outcome>

    Examples:
      | status | meaning                       | outcome                                           |
      | 0      | Communication Ended           | the IUT is not selected or has closed the connection |
      | 1      | Communication Not Established | the IUT is selected                               |
      | 2      | Communication Busy            | the IUT is selected                               |
      | 128    | local entity-specific         | the IUT is selected                               |

  @E37-7.4.3 @MUST @needs-control
  Scenario: Simultaneous Deselect: the IUT accepts the tester's Deselect.req while its own is open
    Given a selected connection to the IUT
    When the IUT is made to send Deselect.req and the tester holds the response
    And the tester sends Deselect.req
    # Leaving SELECTED after a Deselect is judged under 7.4.2; here, that the crossing request is
    # accepted and the IUT's own transaction stays open for its response (no Reject reason 3).
    Then the IUT answers with Deselect.rsp status 0
    When the tester now answers the IUT's open request
    Then the IUT takes the Deselect.rsp for its own request without answering it
