package org.camstack.stack.iscsi;

import static org.camstack.stack.iscsi.Negotiation.SessionType.DISCOVERY;
import static org.camstack.stack.iscsi.Negotiation.SessionType.NORMAL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.stream.Stream;
import org.camstack.stack.iscsi.Negotiation.Result;
import org.camstack.stack.iscsi.Negotiation.SessionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class NegotiationTest {

  private static Arguments row(SessionType t, String key, String offered, String ours, String expected) {
    return Arguments.of(t, key, offered, ours, expected);
  }

  private static Arguments row(String key, String offered, String ours, String expected) {
    return row(NORMAL, key, offered, ours, expected);
  }

  /** Summary: "agreed V", "declared V", "NotUnderstood", "Reject", "Irrelevant". */
  private static String summary(Result r) {
    if (r instanceof Result.Agreed a) {
      return "agreed " + a.value();
    }
    if (r instanceof Result.Declared d) {
      return "declared " + d.value();
    }
    return r.answer();
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // --- minimum
        row("MaxBurstLength", "131072", "262144", "agreed 131072"),
        row("MaxBurstLength", "1048576", "262144", "agreed 262144"),
        row("MaxBurstLength", "1048576", null, "agreed 262144"),
        row("FirstBurstLength", "262144", null, "agreed 65536"),
        row("FirstBurstLength", "512", null, "agreed 512"),
        row("MaxConnections", "8", null, "agreed 1"),
        row("MaxConnections", "8", "4", "agreed 4"),
        row("MaxOutstandingR2T", "16", "32", "agreed 16"),
        row("DefaultTime2Retain", "0", null, "agreed 0"),
        row("DefaultTime2Retain", "60", null, "agreed 20"),
        row("ErrorRecoveryLevel", "2", null, "agreed 0"),
        // --- maximum
        row("DefaultTime2Wait", "0", null, "agreed 2"),
        row("DefaultTime2Wait", "10", null, "agreed 10"),
        row("DefaultTime2Wait", "3600", "5", "agreed 3600"),
        // --- AND
        row("ImmediateData", "Yes", null, "agreed Yes"),
        row("ImmediateData", "Yes", "No", "agreed No"),
        row("ImmediateData", "No", "Yes", "agreed No"),
        row("DataPDUInOrder", "No", null, "agreed No"),
        row("DataSequenceInOrder", "Yes", "Yes", "agreed Yes"),
        // --- OR
        row("InitialR2T", "No", null, "agreed Yes"),
        row("InitialR2T", "No", "No", "agreed No"),
        row("InitialR2T", "Yes", "No", "agreed Yes"),
        // --- list: the offerer's first that we support
        row("HeaderDigest", "CRC32C,None", null, "agreed None"),
        row("HeaderDigest", "CRC32C,None", "CRC32C,None", "agreed CRC32C"),
        row("HeaderDigest", "None,CRC32C", "CRC32C,None", "agreed None"),
        row("DataDigest", "CRC32C", "None", "Reject"),
        row("AuthMethod", "CHAP,None", "None", "agreed None"),
        row("AuthMethod", "KRB5,SRP,CHAP", "CHAP,None", "agreed CHAP"),
        row("AuthMethod", "None,,CHAP", "CHAP,None", "Reject"),
        row("AuthMethod", "", "CHAP,None", "Reject"),
        // --- declarative: the offerer's own limit, whatever ours is
        row("MaxRecvDataSegmentLength", "262144", null, "declared 262144"),
        row("MaxRecvDataSegmentLength", "512", "65536", "declared 512"),
        row("MaxRecvDataSegmentLength", "0x2000", null, "declared 8192"),
        // --- bad values: Reject
        row("MaxRecvDataSegmentLength", "511", null, "Reject"),
        row("MaxRecvDataSegmentLength", "16777216", null, "Reject"),
        row("MaxBurstLength", "abc", null, "Reject"),
        row("MaxBurstLength", "-1", null, "Reject"),
        row("MaxBurstLength", "", null, "Reject"),
        row("MaxBurstLength", "99999999999999999999999", null, "Reject"),
        row("MaxConnections", "0", null, "Reject"),
        row("MaxConnections", "65536", null, "Reject"),
        row("DefaultTime2Wait", "3601", null, "Reject"),
        row("ErrorRecoveryLevel", "3", null, "Reject"),
        row("ImmediateData", "yes", null, "Reject"),
        row("InitialR2T", "1", null, "Reject"),
        // --- unknown keys
        row("NoSuchKey", "1", null, "NotUnderstood"),
        row("X-com.example.vendor", "1", null, "NotUnderstood"),
        // --- irrelevant in a discovery session
        row(DISCOVERY, "MaxBurstLength", "131072", null, "Irrelevant"),
        row(DISCOVERY, "InitialR2T", "No", null, "Irrelevant"),
        row(DISCOVERY, "ImmediateData", "No", null, "Irrelevant"),
        row(DISCOVERY, "MaxConnections", "2", null, "Irrelevant"),
        row(DISCOVERY, "HeaderDigest", "CRC32C,None", "CRC32C", "agreed CRC32C"),
        row(DISCOVERY, "MaxRecvDataSegmentLength", "32768", null, "declared 32768"));
  }

  @ParameterizedTest(name = "{0} {1}={2} ours={3} -> {4}")
  @MethodSource("table")
  void rules(SessionType type, String key, String offered, String ours, String expected) {
    assertEquals(expected, summary(Negotiation.answer(type, key, offered, ours)));
  }

  @Test
  void defaultsAreTheRfcs() {
    String[][] expected = {
        {"MaxRecvDataSegmentLength", "8192"}, {"MaxBurstLength", "262144"}, {"FirstBurstLength", "65536"},
        {"InitialR2T", "Yes"}, {"ImmediateData", "Yes"}, {"MaxOutstandingR2T", "1"}, {"DataPDUInOrder", "Yes"},
        {"DataSequenceInOrder", "Yes"}, {"ErrorRecoveryLevel", "0"}, {"MaxConnections", "1"},
        {"DefaultTime2Wait", "2"}, {"DefaultTime2Retain", "20"}, {"HeaderDigest", "None"}, {"DataDigest", "None"}};
    for (String[] kv : expected) {
      assertEquals(Optional.of(kv[1]), Negotiation.defaultValue(kv[0]), kv[0]);
    }
    assertEquals(Optional.empty(), Negotiation.defaultValue("NoSuchKey"));
  }

  @Test
  void answersAreTheWireWords() {
    assertEquals("NotUnderstood", Negotiation.answer(NORMAL, "Foo", "1", null).answer());
    assertEquals("Reject", Negotiation.answer(NORMAL, "MaxConnections", "0", null).answer());
    assertEquals("Irrelevant", Negotiation.answer(DISCOVERY, "MaxConnections", "2", null).answer());
    assertEquals("4096", Negotiation.answer(NORMAL, "MaxBurstLength", "4096", null).answer());
  }
}
