@E30-establish-communications @gem
Feature: Establish Communications (SEMI E30 style)
  A host opens communications with S1F13 W; the equipment accepts with COMMACK 0 and names its
  model and software revision in S1F14.

  @MUST
  Scenario: The equipment accepts S1F13 with COMMACK 0 and names itself
    Given a selected connection to the IUT
    When the host sends S1F13 W, Establish Communications Request
    Then the equipment answers with S1F14 and COMMACK 0
    And the S1F14 names the equipment's model and software revision

  @MUST
  Scenario: The equipment's S1F14 is the one it is configured to send
    Given a selected connection to the IUT
    When the tester sends S1F13 W with the text:
      """
      <L>
      """
    Then the IUT replies with S1F14 whose text is:
      """
      <L[2] <B 0x00> <L[2] <A "REFPEER"> <A "1.0">>>
      """
