@E37-8
Feature: HSMS message format (E37 8)
  Every message is a 4-byte length, a 10-byte header and optional text, carried on a TCP stream
  that may split or join messages anywhere. The header fields and the format of each message
  type follow 8.1.4 and 8.2.

  # ---- 8.1.2 framing -----------------------------------------------------------------------

  @E37-8.1.2 @MUST
  Scenario: A message whose length prefix arrives split over several segments is understood
    Given a selected connection to the IUT
    When the tester sends Linktest.req one byte at a time
    Then the IUT answers with Linktest.rsp

  @E37-8.1.2 @MUST @tester-selects
  Scenario: A data message in the same segment right behind a Select.req is served after the select
    Given a connection to the IUT that is not selected
    When the tester sends Select.req and S1F1 W in one TCP segment
    Then the IUT answers the Select.req and then replies to the data message behind it

  @E37-8.1.2 @MUST
  Scenario: Several messages in one segment are each answered
    Given a selected connection to the IUT
    When the tester sends three Linktest.req in one TCP segment
    Then the IUT answers each Linktest.req with its own Linktest.rsp

  # ---- 8.1.3 length ------------------------------------------------------------------------

  @E37-8.1.3 @MUST
  Scenario Outline: A message length of <length>, below the minimum of 10, is never taken as a message
    # NOTES.md: the IUT should close (WARN otherwise) and must keep serving new connections.
    Given a selected connection to the IUT
    When the tester sends a message length of <length> followed by that many bytes
    Then the IUT never answers the malformed message, should close the connection and still serves a new one

    Examples:
      | length |
      | 0      |
      | 9      |

  @E37-8.1.3 @MUST
  Scenario: A message length above the IUT's declared maximum is never taken as a message
    Given a selected connection to the IUT
    When the tester sends a message length above the IUT's declared maximum
    Then the IUT never answers the malformed message, should close the connection and still serves a new one

  # ---- 8.1.4 header fields -----------------------------------------------------------------

  @E37-8.1.4.1 @MUST @e37-only
  Scenario Outline: Session id <session id> is read as an unsigned 16-bit value
    # The Reject echoes the session id; whether a Reject is due is judged under E37-7.7.2.
    # HSMS-SS control messages carry 0xFFFF (E37.1-control-session-id).
    Given a selected connection to the IUT
    When the tester sends a message with PType 0 and SType 11 and session id <session id>
    Then the Reject.req echoes the session id of the rejected message

    Examples:
      | session id |
      | 0x0001     |
      | 0x7FFF     |
      | 0x8000     |
      | 0xFFFE     |

  @E37-8.1.4.1 @MUST @needs-control
  Scenario: The IUT's data messages carry the session id of their session
    Given a selected connection to the IUT
    When the tester makes the IUT send S1F1 W
    Then the IUT's data message carries the session id of its session

  @E37-8.1.4.6 @MUST
  Scenario Outline: Linktest.rsp copies system bytes <system bytes>
    Given a selected connection to the IUT
    When the tester sends Linktest.req with system bytes <system bytes>
    Then the IUT answers with Linktest.rsp
    And the response echoes the system bytes of the request

    Examples:
      | system bytes |
      | 0x00000000   |
      | 0x7FFFFFFF   |
      | 0x80000000   |
      | 0xFFFFFFFF   |

  @E37-8.1.4.6 @MUST @needs-control
  Scenario: Successive requests of the IUT carry different system bytes
    Given a selected connection to the IUT
    When the tester makes the IUT send Linktest.req
    And the tester answers the Linktest.req with Linktest.rsp
    And the tester makes the IUT send Linktest.req
    And the tester answers the Linktest.req with Linktest.rsp
    Then the IUT's last two Linktest.req carry different system bytes

  # ---- 8.2 formats of the messages the IUT sends -------------------------------------------

  @E37-8.2.1 @MUST
  Scenario: The IUT's reply is a data message with PType 0 and the W-bit clear
    Given a selected connection to the IUT
    When the tester sends S1F1 W
    Then the IUT's reply has SType 0, PType 0 and the W-bit clear

  @E37-8.2.1 @MUST @needs-control
  Scenario: The IUT's primary S1F1 W has the format of E37 8.2.1
    Given a selected connection to the IUT
    When the tester makes the IUT send S1F1 W
    Then the IUT's S1F1 W has the header E37-8.2.1 defines

  @E37-8.2.4 @MUST @needs-control @e37-only
  Scenario: The IUT's Deselect.req has the format of E37 8.2.4
    Given a selected connection to the IUT
    When the tester makes the IUT send Deselect.req
    Then the IUT's Deselect.req has the header E37-8.2 defines for it

  @E37-8.2.5 @MUST @e37-only
  Scenario Outline: Deselect.rsp in <state> echoes the request and has the format of E37 8.2.5
    Given <connection>
    When the tester sends Deselect.req
    Then the IUT answers with a Deselect.rsp
    And the response echoes the session id of the request
    And the response echoes the system bytes of the request
    And the response has header bytes 2 and 3 as E37-8.2 defines, PType 0 and no text

    Examples:
      | state        | connection                                 |
      | SELECTED     | a selected connection to the IUT           |
      | NOT SELECTED | a connection to the IUT that is not selected |

  @E37-8.2.6 @MUST @needs-control
  Scenario: The IUT's Linktest.req has the format of E37 8.2.6
    Given a selected connection to the IUT
    When the tester makes the IUT send Linktest.req
    Then the IUT's Linktest.req has the header E37-8.2 defines for it

  @E37-8.2.7 @MUST
  Scenario: Linktest.rsp carries session id 0xFFFF and the format of E37 8.2.7
    Given a selected connection to the IUT
    When the tester sends Linktest.req
    Then the IUT answers with Linktest.rsp
    And the response carries session id 0xFFFF
    And the response echoes the system bytes of the request
    And the response has header bytes 2 and 3 as E37-8.2 defines, PType 0 and no text

  @E37-8.2.8 @MUST
  Scenario Outline: Reject.req for <message> (<case>) has the format of E37 8.2.8
    # Every kind of Reject the suite draws is checked here: other scenarios only note a wrong
    # detail (one defect, one clause). Whether a Reject is due at all is judged under the clause
    # in the last column; where none requires one (the IUT may close instead), a missing Reject
    # leaves nothing to check.
    Given <connection>
    When the tester sends <message>
    Then the IUT's Reject.req, due under <due>, has the header E37-8.2.8 defines for the rejected message

    Examples:
      | case                               | connection                                   | message                               | due       |
      | reason 1, SType 11                 | a selected connection to the IUT             | a message with PType 0 and SType 11   | E37-7.7.2 |
      | reason 1 or 3, unused SType 8      | a selected connection to the IUT             | a message with PType 0 and SType 8    | E37-7.7.2 |
      | reason 1, SType 255                | a selected connection to the IUT             | a message with PType 0 and SType 255  | E37-7.7.2 |
      | reason 2, PType 1                  | a selected connection to the IUT             | a data message S1F1 with PType 1      | E37-7.7.2 |
      | reason 2, PType 128                | a selected connection to the IUT             | a data message S1F1 with PType 128    | E37-7.7.2 |
      | reason 3, no open transaction      | a selected connection to the IUT             | Linktest.rsp                          | E37-8.2.8 |
      | reason 3, no open transaction      | a selected connection to the IUT             | Select.rsp                            | E37-8.2.8 |
      | reason 4, data in NOT SELECTED     | a connection to the IUT that is not selected | S1F1 W                                | E37-7.3   |
      | a control message with text        | a selected connection to the IUT             | Linktest.req carrying message text    | none      |
      | a control message with text        | a connection to the IUT that is not selected | Select.req carrying message text      | none      |
      | a Select.req the IUT may refuse    | a connection to the IUT that is not selected | Select.req                            | none      |

    @hsms-ss
    Examples: HSMS-SS does not use Deselect (the IUT may answer or reject it)
      | case                               | connection                                   | message                               | due       |
      | Deselect not used                  | a selected connection to the IUT             | Deselect.req                          | none      |

  @E37-8.2.8 @MUST @needs-control
  Scenario: A Reject.req for a Linktest.rsp that came after T6 has the format of E37 8.2.8
    # An IUT that closed at T6 (as E37-9.3.1 advises) has nothing to reject.
    Given a selected connection to the IUT
    When the IUT is made to send Linktest.req and the tester holds the response
    And the tester answers the IUT's request after T6
    Then the IUT's Reject.req, due under none, has the header E37-8.2.8 defines for the rejected message

  @E37-8.2.8 @MUST
  Scenario Outline: An unsolicited <response> draws Reject.req reason 3 (Transaction Not Open)
    Given a selected connection to the IUT
    When the tester sends <response>
    Then the IUT rejects it with reason 3

    Examples:
      | response     |
      | Select.rsp   |
      | Linktest.rsp |

    @e37-only
    Examples: Deselect is E37 only
      | response     |
      | Deselect.rsp |

  @E37-8.2.9 @MUST @needs-control
  Scenario: The IUT's Separate.req has the format of E37 8.2.9
    Given a selected connection to the IUT
    When the tester makes the IUT send Separate.req
    Then the IUT's Separate.req has the header E37-8.2 defines for it
