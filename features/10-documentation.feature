@E37-10
Feature: Documentation and parameter setting (E37 10, 10.1)
  Documentation cannot be seen on the wire: these scenarios check what the profile declares.
  A declared timer outside the 10.1 minimum range is reported with the verdict; a wider range
  passes.

  @E37-10 @MUST @iut-passive @single-connection
  Scenario: A single-connection passive IUT documents how it refuses further connections
    Given the profile of the IUT
    Then the profile declares the refusal option for further connections

  @E37-10 @MUST
  Scenario: The largest message the IUT can receive is documented
    Given the profile of the IUT
    Then the profile declares the largest message the IUT can receive

  @E37-10.1 @MUST
  Scenario Outline: The declared T<timer> is inside or wider than the E37-10.1 range
    Given the profile of the IUT
    Then the declared T<timer> covers the E37-10.1 minimum range

    Examples:
      | timer | minimum range |
      | 3     | 1-120 s       |
      | 5     | 1-240 s       |
      | 6     | 1-240 s       |
      | 7     | 1-240 s       |
      | 8     | 1-120 s       |
