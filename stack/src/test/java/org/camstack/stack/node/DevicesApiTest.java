package org.camstack.stack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.camstack.stack.cli.CtlCommand;
import org.camstack.stack.node.ApiTestNode.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The device-family API and CLI of issue 14 on a real in-process node with the default topology
 * (scbus3: the CD/DVD drive, a processor, the SAF-TE enclosure): cd load / eject / status, SG_IO
 * on an sg handle, SEND / RECEIVE through pt, the SAF-TE enclosure as a second ses.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DevicesApiTest {
  private static final String TOKEN = "dev1ces-token";
  private static ApiTestNode rig;
  private static EmulatorNode node;
  private static Path data;

  @BeforeAll
  static void startNode() throws Exception {
    rig = ApiTestNode.start("camstack-devices", TOKEN);
    node = rig.node;
    data = rig.data;
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }


  private static Reply call(String method, String path, String body) throws Exception {
    return rig.call(method, path, body);
  }

  private static Reply ok(String method, String path, String body) throws Exception {
    Reply r = call(method, path, body);
    assertEquals(200, r.status(), method + " " + path + ": " + r.json());
    return r;
  }

  private static String periphAt(String btl, String driver) throws Exception {
    for (JsonNode p : ok("GET", "/api/devices/" + btl + "/periphs", null).json().get("periphs")) {
      if (p.get("periph").asText().equals(driver)) {
        return driver + p.get("unit").asInt();
      }
    }
    throw new AssertionError("no " + driver + " at " + btl);
  }

  private static String ctl(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 4];
    all[0] = "--node";
    all[1] = node.apiUrl();
    all[2] = "--token";
    all[3] = TOKEN;
    System.arraycopy(args, 0, all, 4, args.length);
    int rc = CtlCommand.run(all, new PrintStream(out), new PrintStream(err));
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void cdLoadReadCapacityAndEject() throws Exception {
    Path iso = data.resolve("disc.iso");
    Files.write(iso, new byte[64 * 2048]);
    String cd = periphAt("3:0:0", "cd");
    Reply blank = ok("GET", "/api/cd/" + cd, null);
    assertTrue(blank.json().get("loaded").asBoolean(), blank.json().toString());
    assertEquals(1024, blank.json().get("sectors").asLong(), "the default topology's built-in blank disc");
    assertTrue(ctl("cd", "status", cd).contains("built-in blank disc, 1024 sectors"));

    Reply loaded = ok("POST", "/api/cd/" + cd + "/load", "{\"file\": \"" + iso.toString().replace("\\", "/") + "\"}");
    assertTrue(loaded.json().get("loaded").asBoolean());
    assertEquals(64, loaded.json().get("sectors").asLong());
    assertEquals(8, loaded.json().get("profile").asInt(), "CD-ROM");
    Reply cap = ok("GET", "/api/devices/" + cd + "/readcap", null); // the new-medium UA is retried
    assertEquals(63, cap.json().get("lastBlock").asLong());
    assertEquals(2048, cap.json().get("blockLength").asLong());

    assertTrue(ctl("cd", "status", cd).contains("64 sectors of 2048 bytes (CD-ROM)"));
    assertTrue(ctl("cd", "eject", cd).contains("tray open, no disc"));
    assertEquals(409, call("POST", "/api/cd/" + cd + "/load", "{\"file\": \"/nonexistent/x.iso\"}").status());
    assertEquals(409, call("POST", "/api/cd/da0/eject", null).status(), "da0 is not a drive");
    assertEquals(400, call("POST", "/api/cd/" + cd + "/load", "{}").status());
  }

  @Test
  void sgIoThroughAnSgHandle() throws Exception {
    String sg = periphAt("0:0:0", "sg");
    long h = ok("POST", "/api/devfs/open", "{\"node\": \"" + sg + "\"}").json().get("handle").asLong();
    Reply inq = ok("POST", "/api/devfs/" + h + "/sgio", "{\"dxferDirection\": -3, \"cmdHex\": \"120000006000\", \"dxferLen\": 96, \"mxSbLen\": 32}");
    assertEquals(0, inq.json().get("status").asInt());
    assertEquals(0, inq.json().get("hostStatus").asInt());
    assertTrue(inq.json().get("dataHex").asText().startsWith("00"), inq.json().toString());
    Reply bad = ok("POST", "/api/devfs/" + h + "/sgio", "{\"dxferDirection\": -1, \"cmdHex\": \"ff0000000000\"}");
    assertEquals(2, bad.json().get("status").asInt());
    assertEquals(8, bad.json().get("driverStatus").asInt(), "DRIVER_SENSE");
    assertEquals(400, call("POST", "/api/devfs/" + h + "/sgio", "{\"dxferDirection\": -7, \"cmdHex\": \"000000000000\"}").status());
    ok("POST", "/api/devfs/" + h + "/close", null);
  }

  /** sg's Linux name (the devfs alias {@code sg<letter>}) opens, SG_IOs and names the device like {@code sgN}. */
  @Test
  void theLinuxNameOfAnSgNodeWorksLikeTheNode() throws Exception {
    String sg = periphAt("0:0:0", "sg");
    String linux = org.camstack.stack.scsi.sg.SgPeriph.linuxName(Integer.parseInt(sg.substring(2)));
    long h = ok("POST", "/api/devfs/open", "{\"node\": \"/dev/" + linux + "\"}").json().get("handle").asLong();
    Reply inq = ok("POST", "/api/devfs/" + h + "/sgio", "{\"dxferDirection\": -3, \"cmdHex\": \"120000006000\", \"dxferLen\": 96, \"mxSbLen\": 32}");
    assertEquals(0, inq.json().get("status").asInt(), inq.json().toString());
    assertTrue(inq.json().get("dataHex").asText().contains(hex("EMU-DISK")), inq.json().toString());
    ok("POST", "/api/devfs/" + h + "/close", null);

    assertEquals(ctl("periphlist", sg), ctl("periphlist", linux));
    assertEquals(ctl("inquiry", sg), ctl("inquiry", linux));
    String handle = ctl("open", linux).trim();
    assertTrue(ctl("close", handle).length() > 0);
    assertEquals(404, call("GET", "/api/devices/sgzz/periphs", null).status(), "sgzz = sg701, no such unit");
  }

  private static String hex(String ascii) {
    return java.util.HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void ptSendReceiveAndTheSafTeEnclosure() throws Exception {
    String pt = periphAt("3:1:0", "pt");
    assertTrue(ctl("pt", "send", pt, "hello processor").contains("sent 15 bytes"));
    assertEquals("hello processor\n", ctl("pt", "receive", pt));
    assertTrue(ctl("pt", "receive", pt).contains("nothing to receive"));

    String safte = periphAt("3:2:0", "ses");
    String ses = periphAt("0:6:0", "ses");
    assertFalse(safte.equals(ses), "the SAF-TE enclosure is a second ses");
    periphAt("3:2:0", "pt"); // a SAF-TE processor is a processor device too
  }

  /** Whether {@code driver} is attached at {@code btl} now (404 = no device there). */
  private static boolean attached(String btl, String driver) throws Exception {
    Reply r = call("GET", "/api/devices/" + btl + "/periphs", null);
    if (r.status() != 200) {
      return false;
    }
    for (JsonNode p : r.json().get("periphs")) {
      if (p.get("periph").asText().equals(driver)) {
        return true;
      }
    }
    return false;
  }

  /** Asks until {@code driver} at {@code btl} is (or is no longer) attached; bounded, no sleep. */
  private static void awaitAttached(String btl, String driver, boolean want) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (attached(btl, driver) != want) {
      assertTrue(System.nanoTime() < deadline, driver + " at " + btl + (want ? " did not come back" : " did not leave"));
      Thread.onSpinWait();
    }
  }

  @Test
  void smpVerbsAgainstTheDefaultTopologysExpander() throws Exception {
    String pass = periphAt("3:5:0", "pass");
    assertTrue(ctl("smp", pass, "rg").contains("Number of Phys: 8"));
    assertTrue(ctl("smp", pass, "mi").contains("Product: EMU-EXPANDER"));
    JsonNode phys = ok("GET", "/api/smp/" + pass + "/phylist", null).json().get("phys");
    assertEquals(8, phys.size());
    assertEquals("ssp end device", phys.get(0).get("attached").asText(), "phy 0 leads to the disk at target 3");
    assertEquals("ssp end device", phys.get(1).get("attached").asText());
    assertEquals("none", phys.get(2).get("attached").asText());
    assertTrue(ctl("smp", pass, "phylist").startsWith("8 PHYs:"));

    // bad input and SMP function results
    assertEquals(400, call("POST", "/api/smp/" + pass + "/pc", "{\"phy\": 0, \"op\": \"explode\"}").status());
    assertEquals(400, call("POST", "/api/smp/" + pass + "/pc", "{\"op\": \"disable\"}").status());
    Reply noPhy = call("POST", "/api/smp/" + pass + "/pc", "{\"phy\": 9, \"op\": \"disable\"}");
    assertEquals(409, noPhy.status());
    assertTrue(noPhy.json().toString().contains("Phy Does Not Exist"), noPhy.json().toString());
    assertEquals(400, call("GET", "/api/smp/da0/rg", null).status());
    String diskPass = periphAt("3:3:0", "pass");
    Reply notSmp = call("GET", "/api/smp/" + diskPass + "/rg", null);
    assertEquals(409, notSmp.status());
    assertTrue(notSmp.json().toString().contains("not an SMP target"), notSmp.json().toString());

    // PHY CONTROL: the disk on phy 0 leaves and comes back as the same da
    String da = periphAt("3:3:0", "da");
    assertTrue(ctl("smp", pass, "pc", "0", "disable").contains("SMP Function Accepted"));
    awaitAttached("3:3:0", "da", false);
    assertEquals("disabled", ok("GET", "/api/smp/" + pass + "/phylist", null).json().get("phys").get(0).get("linkRate").asText());
    assertTrue(ctl("smp", pass, "pc", "0", "linkreset").contains("SMP Function Accepted"));
    awaitAttached("3:3:0", "da", true);
    assertEquals(da, periphAt("3:3:0", "da"), "the same unit");
  }
}
