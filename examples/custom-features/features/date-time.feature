@E30-date-time @gem
Feature: Date and Time Request (SEMI E30 style)
  A host reads the equipment's clock with S2F17 W; S2F18 carries TIME in one of the two
  formats SEMI E5 defines for it.

  @MUST
  Scenario: The equipment reports its clock as a valid TIME
    Given a selected connection to the IUT
    When the host asks for the equipment's date and time with S2F17 W
    Then the equipment answers with S2F18 carrying a valid TIME
