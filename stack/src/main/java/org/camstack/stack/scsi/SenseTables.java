package org.camstack.stack.scsi;

import static org.camstack.stack.ccb.Errno.EACCES;
import static org.camstack.stack.ccb.Errno.EBUSY;
import static org.camstack.stack.ccb.Errno.EINVAL;
import static org.camstack.stack.ccb.Errno.EIO;
import static org.camstack.stack.ccb.Errno.ENOSPC;
import static org.camstack.stack.ccb.Errno.ENXIO;
import static org.camstack.stack.ccb.Errno.EPERM;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camstack.stack.ccb.CcbFlags;
import org.camstack.stack.ccb.Errno;

/**
 * Sense decoding tables: sense-key names and default actions, and the ASC/ASCQ table with the T10
 * text and the recovery action for each entry.
 *
 * <p>cf. {@code sense_key_table[]}, {@code asc_table[]}, {@code scsi_sense_desc()}, {@code
 * scsi_sense_key_text()} and {@code scsi_error_action()} in sys/cam/scsi/scsi_all.c (actions as in
 * the 2012-post tree: {@code SSQ_UA}, {@code SSQ_RESCAN} and {@code SSQ_LOST} present).
 */
public final class SenseTables {
  private SenseTables() {}

  /** One row of the ASC/ASCQ table. */
  public record AscEntry(int asc, int ascq, String text, SenseAction action) {}

  private static final String[] KEY_NAMES = {
    "NO SENSE",
    "RECOVERED ERROR",
    "NOT READY",
    "MEDIUM ERROR",
    "HARDWARE FAILURE",
    "ILLEGAL REQUEST",
    "UNIT ATTENTION",
    "DATA PROTECT",
    "BLANK CHECK",
    "Vendor Specific",
    "COPY ABORTED",
    "ABORTED COMMAND",
    "EQUAL",
    "VOLUME OVERFLOW",
    "MISCOMPARE",
    "COMPLETED"
  };

  private static final SenseAction[] KEY_ACTIONS = {
    SenseAction.NOP, // NO SENSE
    SenseAction.NOP.withPrint(true), // RECOVERED ERROR
    SenseAction.RDEF, // NOT READY
    SenseAction.RDEF, // MEDIUM ERROR
    SenseAction.RDEF, // HARDWARE ERROR
    SenseAction.fatal(EINVAL), // ILLEGAL REQUEST
    SenseAction.fatal(ENXIO), // UNIT ATTENTION
    SenseAction.fatal(EACCES), // DATA PROTECT
    SenseAction.fatal(ENOSPC), // BLANK CHECK
    SenseAction.fatal(EIO), // vendor specific
    SenseAction.fatal(EIO), // COPY ABORTED
    SenseAction.RDEF, // ABORTED COMMAND
    SenseAction.NOP, // EQUAL
    SenseAction.fatal(EIO), // VOLUME OVERFLOW
    SenseAction.fatal(EIO), // MISCOMPARE
    SenseAction.NOP // COMPLETED
  };

  private static final Map<Integer, AscEntry> ASC = new HashMap<>();
  private static final List<AscEntry> ORDERED = new ArrayList<>();

  private static void a(int asc, int ascq, SenseAction action, String text) {
    AscEntry e = new AscEntry(asc, ascq, text, action);
    if (ASC.put((asc << 8) | ascq, e) != null) {
      throw new IllegalStateException(String.format("duplicate ASC %02X/%02X", asc, ascq));
    }
    ORDERED.add(e);
  }

  /** An entry whose action is {@code SS_RDEF}. */
  private static void r(int asc, int ascq, String text) {
    a(asc, ascq, SenseAction.RDEF, text);
  }

  /** An entry whose action is {@code SS_FATAL | errno}. */
  private static void f(int asc, int ascq, Errno errno, String text) {
    a(asc, ascq, SenseAction.fatal(errno), text);
  }

  static {
    a(0x00, 0x00, SenseAction.NOP, "No additional sense information");
    r(0x00, 0x01, "Filemark detected");
    r(0x00, 0x02, "End-of-partition/medium detected");
    r(0x00, 0x03, "Setmark detected");
    r(0x00, 0x04, "Beginning-of-partition/medium detected");
    r(0x00, 0x05, "End-of-data detected");
    r(0x00, 0x06, "I/O process terminated");
    r(0x00, 0x07, "Programmable early warning detected");
    f(0x00, 0x11, EBUSY, "Audio play operation in progress");
    a(0x00, 0x12, SenseAction.NOP, "Audio play operation paused");
    a(0x00, 0x13, SenseAction.NOP, "Audio play operation successfully completed");
    r(0x00, 0x14, "Audio play operation stopped due to error");
    a(0x00, 0x15, SenseAction.NOP, "No current audio status to return");
    f(0x00, 0x16, EBUSY, "Operation in progress");
    r(0x00, 0x17, "Cleaning requested");
    f(0x00, 0x18, EBUSY, "Erase operation in progress");
    f(0x00, 0x19, EBUSY, "Locate operation in progress");
    f(0x00, 0x1A, EBUSY, "Rewind operation in progress");
    f(0x00, 0x1B, EBUSY, "Set capacity operation in progress");
    f(0x00, 0x1C, EBUSY, "Verify operation in progress");
    a(0x00, 0x1D, SenseAction.NOP, "ATA pass through information available");
    r(0x00, 0x1E, "Conflicting SA creation request");
    r(0x01, 0x00, "No index/sector signal");
    r(0x02, 0x00, "No seek complete");
    r(0x03, 0x00, "Peripheral device write fault");
    r(0x03, 0x01, "No write current");
    r(0x03, 0x02, "Excessive write errors");
    r(0x04, 0x00, "Logical unit not ready, cause not reportable");
    a(0x04, 0x01, SenseAction.turMany(EBUSY), "Logical unit is in process of becoming ready");
    a(0x04, 0x02, SenseAction.startUnit(ENXIO), "Logical unit not ready, initializing command required");
    f(0x04, 0x03, ENXIO, "Logical unit not ready, manual intervention required");
    f(0x04, 0x04, EBUSY, "Logical unit not ready, format in progress");
    f(0x04, 0x05, EBUSY, "Logical unit not ready, rebuild in progress");
    f(0x04, 0x06, EBUSY, "Logical unit not ready, recalculation in progress");
    f(0x04, 0x07, EBUSY, "Logical unit not ready, operation in progress");
    f(0x04, 0x08, EBUSY, "Logical unit not ready, long write in progress");
    f(0x04, 0x09, EBUSY, "Logical unit not ready, self-test in progress");
    a(0x04, 0x0A, SenseAction.turMany(EBUSY), "Logical unit not accessible, asymmetric access state transition");
    f(0x04, 0x0B, ENXIO, "Logical unit not accessible, target port in standby state");
    f(0x04, 0x0C, ENXIO, "Logical unit not accessible, target port in unavailable state");
    f(0x04, 0x10, ENXIO, "Logical unit not ready, auxiliary memory not accessible");
    a(0x04, 0x11, SenseAction.turMany(EBUSY), "Logical unit not ready, notify (enable spinup) required");
    f(0x04, 0x12, ENXIO, "Logical unit not ready, offline");
    f(0x04, 0x13, EBUSY, "Logical unit not ready, SA creation in progress");
    a(0x04, 0x14, SenseAction.turMany(EBUSY), "Logical unit not ready, space allocation in progress");
    f(0x04, 0x1B, EBUSY, "Logical unit not ready, sanitize in progress");
    a(0x04, 0x1C, SenseAction.turMany(EBUSY), "Logical unit not ready, additional power use not yet granted");
    f(0x05, 0x00, ENXIO, "Logical unit does not respond to selection");
    r(0x06, 0x00, "No reference position found");
    r(0x07, 0x00, "Multiple peripheral devices selected");
    r(0x08, 0x00, "Logical unit communication failure");
    r(0x08, 0x01, "Logical unit communication time-out");
    r(0x08, 0x02, "Logical unit communication parity error");
    r(0x08, 0x03, "Logical unit communication CRC error (Ultra-DMA/32)");
    r(0x09, 0x00, "Track following error");
    r(0x09, 0x01, "Tracking servo failure");
    r(0x09, 0x02, "Focus servo failure");
    r(0x09, 0x03, "Spindle servo failure");
    r(0x09, 0x04, "Head select fault");
    r(0x0A, 0x00, "Error log overflow");
    r(0x0B, 0x00, "Warning");
    r(0x0B, 0x01, "Warning - specified temperature exceeded");
    r(0x0B, 0x02, "Warning - enclosure degraded");
    r(0x0C, 0x00, "Write error");
    r(0x0C, 0x01, "Write error - recovered with auto reallocation");
    r(0x0C, 0x02, "Write error - auto reallocation failed");
    r(0x0C, 0x03, "Write error - recommend reassignment");
    r(0x0C, 0x07, "Write error - recovery needed");
    r(0x0C, 0x08, "Write error - recovery failed");
    r(0x0C, 0x09, "Write error - loss of streaming");
    r(0x0C, 0x0A, "Write error - padding blocks added");
    r(0x0D, 0x00, "Error detected by third party temporary initiator");
    r(0x10, 0x00, "ID CRC or ECC error");
    r(0x10, 0x01, "Logical block guard check failed");
    r(0x10, 0x02, "Logical block application tag check failed");
    r(0x10, 0x03, "Logical block reference tag check failed");
    f(0x11, 0x00, EIO, "Unrecovered read error");
    f(0x11, 0x01, EIO, "Read retries exhausted");
    f(0x11, 0x02, EIO, "Error too long to correct");
    f(0x11, 0x03, EIO, "Multiple read errors");
    f(0x11, 0x04, EIO, "Unrecovered read error - auto reallocate failed");
    f(0x11, 0x05, EIO, "L-EC uncorrectable error");
    f(0x11, 0x06, EIO, "CIRC unrecovered error");
    r(0x11, 0x07, "Data re-synchronization error");
    r(0x11, 0x08, "Incomplete block read");
    r(0x11, 0x09, "No gap found");
    r(0x11, 0x0A, "Miscorrected error");
    f(0x11, 0x0B, EIO, "Unrecovered read error - recommend reassignment");
    f(0x11, 0x0C, EIO, "Unrecovered read error - recommend rewrite the data");
    r(0x11, 0x0D, "De-compression CRC error");
    r(0x11, 0x0E, "Cannot decompress using declared algorithm");
    r(0x11, 0x0F, "Error reading UPC/EAN number");
    r(0x11, 0x10, "Error reading ISRC number");
    r(0x11, 0x11, "Read error - loss of streaming");
    r(0x11, 0x12, "Auxiliary memory read error");
    r(0x11, 0x13, "Read error - failed retransmission request");
    f(0x11, 0x14, EIO, "Read error - LBA marked bad by application client");
    r(0x12, 0x00, "Address mark not found for ID field");
    r(0x13, 0x00, "Address mark not found for data field");
    r(0x14, 0x00, "Recorded entity not found");
    r(0x14, 0x01, "Record not found");
    r(0x14, 0x02, "Filemark or setmark not found");
    r(0x14, 0x03, "End-of-data not found");
    r(0x14, 0x04, "Block sequence error");
    r(0x14, 0x05, "Record not found - recommend reassignment");
    r(0x14, 0x06, "Record not found - data auto-reallocated");
    r(0x15, 0x00, "Random positioning error");
    r(0x15, 0x01, "Mechanical positioning error");
    r(0x15, 0x02, "Positioning error detected by read of medium");
    r(0x16, 0x00, "Data synchronization mark error");
    r(0x17, 0x00, "Recovered data with no error correction applied");
    r(0x17, 0x01, "Recovered data with retries");
    r(0x17, 0x02, "Recovered data with positive head offset");
    r(0x17, 0x03, "Recovered data with negative head offset");
    r(0x17, 0x04, "Recovered data with retries and/or CIRC applied");
    r(0x17, 0x05, "Recovered data using previous sector ID");
    r(0x17, 0x06, "Recovered data without ECC - data auto-reallocated");
    r(0x17, 0x07, "Recovered data without ECC - recommend reassignment");
    r(0x17, 0x08, "Recovered data without ECC - recommend rewrite");
    r(0x17, 0x09, "Recovered data without ECC - data rewritten");
    r(0x18, 0x00, "Recovered data with error correction applied");
    r(0x18, 0x01, "Recovered data with error corr. & retries applied");
    r(0x18, 0x02, "Recovered data - data auto-reallocated");
    r(0x18, 0x03, "Recovered data with CIRC");
    r(0x18, 0x04, "Recovered data with L-EC");
    r(0x18, 0x05, "Recovered data - recommend reassignment");
    r(0x18, 0x06, "Recovered data - recommend rewrite");
    r(0x18, 0x07, "Recovered data with ECC - data rewritten");
    r(0x19, 0x00, "Defect list error");
    r(0x19, 0x01, "Defect list not available");
    r(0x19, 0x02, "Defect list error in primary list");
    r(0x19, 0x03, "Defect list error in grown list");
    r(0x1A, 0x00, "Parameter list length error");
    r(0x1B, 0x00, "Synchronous data transfer error");
    r(0x1C, 0x00, "Defect list not found");
    r(0x1C, 0x01, "Primary defect list not found");
    r(0x1C, 0x02, "Grown defect list not found");
    f(0x1D, 0x00, EIO, "Miscompare during verify operation");
    r(0x1E, 0x00, "Recovered ID with ECC correction");
    r(0x1F, 0x00, "Partial defect list transfer");
    f(0x20, 0x00, EINVAL, "Invalid command operation code");
    f(0x20, 0x01, EPERM, "Access denied - initiator pending-enrolled");
    f(0x20, 0x02, EPERM, "Access denied - no access rights");
    f(0x20, 0x03, EPERM, "Access denied - invalid mgmt ID key");
    f(0x20, 0x04, EINVAL, "Illegal command while in write capable state");
    f(0x20, 0x06, EINVAL, "Illegal command while in explicit address mode");
    f(0x20, 0x07, EINVAL, "Illegal command while in implicit address mode");
    f(0x20, 0x08, EPERM, "Access denied - enrollment conflict");
    f(0x20, 0x09, EPERM, "Access denied - invalid LU identifier");
    f(0x20, 0x0A, EPERM, "Access denied - invalid proxy token");
    f(0x20, 0x0B, EPERM, "Access denied - ACL LUN conflict");
    f(0x20, 0x0C, EINVAL, "Illegal command when not in append-only mode");
    f(0x21, 0x00, EINVAL, "Logical block address out of range");
    f(0x21, 0x01, EINVAL, "Invalid element address");
    f(0x21, 0x02, EINVAL, "Invalid address for write");
    f(0x21, 0x03, EINVAL, "Invalid write crossing layer jump");
    f(0x21, 0x04, EINVAL, "Unaligned write command");
    f(0x21, 0x05, EINVAL, "Write boundary violation");
    f(0x21, 0x06, EINVAL, "Attempt to read invalid data");
    f(0x21, 0x07, EINVAL, "Read boundary violation");
    f(0x22, 0x00, EINVAL, "Illegal function (use 20 00, 24 00, or 26 00)");
    f(0x23, 0x00, EINVAL, "Invalid token operation, cause not reportable");
    f(0x24, 0x00, EINVAL, "Invalid field in CDB");
    f(0x24, 0x01, EIO, "CDB decryption error");
    f(0x24, 0x04, EINVAL, "Security audit value frozen");
    f(0x24, 0x05, EINVAL, "Security working key frozen");
    f(0x24, 0x06, EINVAL, "NONCE not unique");
    f(0x24, 0x07, EINVAL, "NONCE timestamp out of range");
    f(0x24, 0x08, EINVAL, "Invalid XCDB");
    a(0x25, 0x00, SenseAction.fatal(ENXIO).withLost(true), "Logical unit not supported");
    f(0x26, 0x00, EINVAL, "Invalid field in parameter list");
    f(0x26, 0x01, EINVAL, "Parameter not supported");
    f(0x26, 0x02, EINVAL, "Parameter value invalid");
    f(0x26, 0x03, EINVAL, "Threshold parameters not supported");
    f(0x26, 0x04, EINVAL, "Invalid release of persistent reservation");
    f(0x26, 0x05, EIO, "Data decryption error");
    f(0x26, 0x06, EINVAL, "Too many target descriptors");
    f(0x26, 0x07, EINVAL, "Unsupported target descriptor type code");
    f(0x26, 0x08, EINVAL, "Too many segment descriptors");
    f(0x26, 0x09, EINVAL, "Unsupported segment descriptor type code");
    f(0x26, 0x0A, EINVAL, "Unexpected inexact segment");
    f(0x26, 0x0B, EINVAL, "Inline data length exceeded");
    f(0x26, 0x0C, EINVAL, "Invalid operation for copy source or destination");
    f(0x26, 0x0D, EINVAL, "Copy segment granularity violation");
    f(0x27, 0x00, EACCES, "Write protected");
    f(0x27, 0x01, EACCES, "Hardware write protected");
    f(0x27, 0x02, EACCES, "Logical unit software write protected");
    f(0x27, 0x03, EACCES, "Associated write protect");
    f(0x27, 0x04, EACCES, "Persistent write protect");
    f(0x27, 0x05, EACCES, "Permanent write protect");
    f(0x27, 0x06, EACCES, "Conditional write protect");
    f(0x27, 0x07, ENOSPC, "Space allocation failed write protect");
    f(0x28, 0x00, ENXIO, "Not ready to ready change, medium may have changed");
    f(0x28, 0x01, ENXIO, "Import or export element accessed");
    r(0x28, 0x02, "Format-layer may have changed");
    f(0x28, 0x03, ENXIO, "Import/export element accessed, medium changed");
    f(0x29, 0x00, ENXIO, "Power on, reset, or bus device reset occurred");
    r(0x29, 0x01, "Power on occurred");
    r(0x29, 0x02, "SCSI bus reset occurred");
    r(0x29, 0x03, "Bus device reset function occurred");
    r(0x29, 0x04, "Device internal reset");
    r(0x29, 0x05, "Transceiver mode changed to single-ended");
    r(0x29, 0x06, "Transceiver mode changed to LVD");
    r(0x29, 0x07, "I_T nexus loss occurred");
    r(0x2A, 0x00, "Parameters changed");
    r(0x2A, 0x01, "Mode parameters changed");
    r(0x2A, 0x02, "Log parameters changed");
    r(0x2A, 0x03, "Reservations preempted");
    r(0x2A, 0x04, "Reservations released");
    r(0x2A, 0x05, "Registrations preempted");
    r(0x2A, 0x06, "Asymmetric access state changed");
    r(0x2A, 0x07, "Implicit asymmetric access state transition failed");
    r(0x2A, 0x08, "Priority changed");
    r(0x2A, 0x09, "Capacity data has changed");
    r(0x2A, 0x0A, "Error history I_T nexus cleared");
    r(0x2A, 0x0B, "Error history snapshot released");
    r(0x2A, 0x10, "Timestamp changed");
    r(0x2B, 0x00, "Copy cannot execute since host cannot disconnect");
    r(0x2C, 0x00, "Command sequence error");
    r(0x2C, 0x01, "Too many windows specified");
    r(0x2C, 0x02, "Invalid combination of windows specified");
    r(0x2C, 0x03, "Current program area is not empty");
    r(0x2C, 0x04, "Current program area is empty");
    r(0x2C, 0x05, "Illegal power condition request");
    r(0x2C, 0x06, "Persistent prevent conflict");
    r(0x2C, 0x07, "Previous busy status");
    r(0x2C, 0x08, "Previous task set full status");
    r(0x2C, 0x09, "Previous reservation conflict status");
    r(0x2C, 0x0A, "Partition or collection contains user objects");
    r(0x2C, 0x0B, "Not reserved");
    r(0x2C, 0x0C, "ORWRITE generation does not match");
    r(0x2D, 0x00, "Overwrite error on update in place");
    r(0x2E, 0x00, "Insufficient time for operation");
    r(0x2F, 0x00, "Commands cleared by another initiator");
    r(0x2F, 0x01, "Commands cleared by power loss notification");
    r(0x2F, 0x02, "Commands cleared by device server");
    f(0x30, 0x00, EIO, "Incompatible medium installed");
    f(0x30, 0x01, EIO, "Cannot read medium - unknown format");
    f(0x30, 0x02, EIO, "Cannot read medium - incompatible format");
    f(0x30, 0x03, EIO, "Cleaning cartridge installed");
    f(0x30, 0x04, EIO, "Cannot write medium - unknown format");
    f(0x30, 0x05, EIO, "Cannot write medium - incompatible format");
    f(0x30, 0x06, EIO, "Cannot format medium - incompatible medium");
    f(0x30, 0x07, EIO, "Cleaning failure");
    f(0x30, 0x08, EIO, "Cannot write - application code mismatch");
    f(0x30, 0x09, EIO, "Current session not fixated for append");
    r(0x30, 0x0A, "Cleaning request rejected");
    f(0x30, 0x10, EIO, "Medium not formatted");
    f(0x31, 0x00, EIO, "Medium format corrupted");
    f(0x31, 0x01, EIO, "Format command failed");
    f(0x31, 0x02, EIO, "Zoned formatting failed due to spare linking");
    f(0x32, 0x00, ENOSPC, "No defect spare location available");
    r(0x32, 0x01, "Defect list update failure");
    r(0x33, 0x00, "Tape length error");
    r(0x34, 0x00, "Enclosure failure");
    r(0x35, 0x00, "Enclosure services failure");
    f(0x35, 0x01, EINVAL, "Unsupported enclosure function");
    r(0x35, 0x02, "Enclosure services unavailable");
    r(0x35, 0x03, "Enclosure services transfer failure");
    r(0x35, 0x04, "Enclosure services transfer refused");
    r(0x35, 0x05, "Enclosure services checksum error");
    r(0x36, 0x00, "Ribbon, ink, or toner failure");
    r(0x37, 0x00, "Rounded parameter");
    r(0x38, 0x07, "Thin provisioning soft threshold reached");
    f(0x39, 0x00, EINVAL, "Saving parameters not supported");
    f(0x3A, 0x00, ENXIO, "Medium not present");
    f(0x3A, 0x01, ENXIO, "Medium not present - tray closed");
    f(0x3A, 0x02, ENXIO, "Medium not present - tray open");
    f(0x3A, 0x03, ENXIO, "Medium not present - loadable");
    f(0x3A, 0x04, ENXIO, "Medium not present - medium auxiliary memory accessible");
    r(0x3B, 0x00, "Sequential positioning error");
    r(0x3B, 0x01, "Tape position error at beginning-of-medium");
    r(0x3B, 0x02, "Tape position error at end-of-medium");
    r(0x3B, 0x08, "Reposition error");
    f(0x3B, 0x0D, ENOSPC, "Medium destination element full");
    f(0x3B, 0x0E, EIO, "Medium source element empty");
    r(0x3B, 0x11, "Medium magazine not accessible");
    r(0x3B, 0x12, "Medium magazine removed");
    r(0x3B, 0x13, "Medium magazine inserted");
    r(0x3B, 0x14, "Medium magazine locked");
    r(0x3B, 0x15, "Medium magazine unlocked");
    r(0x3D, 0x00, "Invalid bits in IDENTIFY message");
    r(0x3E, 0x00, "Logical unit has not self-configured yet");
    r(0x3E, 0x01, "Logical unit failure");
    r(0x3E, 0x02, "Timeout on logical unit");
    r(0x3E, 0x03, "Logical unit failed self-test");
    r(0x3E, 0x04, "Logical unit unable to update self-test log");
    r(0x3F, 0x00, "Target operating conditions have changed");
    r(0x3F, 0x01, "Microcode has been changed");
    r(0x3F, 0x02, "Changed operating definition");
    r(0x3F, 0x03, "INQUIRY data has changed");
    r(0x3F, 0x04, "Component device attached");
    r(0x3F, 0x05, "Device identifier changed");
    r(0x3F, 0x06, "Redundancy group created or modified");
    r(0x3F, 0x07, "Redundancy group deleted");
    r(0x3F, 0x08, "Spare created or modified");
    r(0x3F, 0x09, "Spare deleted");
    r(0x3F, 0x0A, "Volume set created or modified");
    r(0x3F, 0x0B, "Volume set deleted");
    r(0x3F, 0x0C, "Volume set deassigned");
    r(0x3F, 0x0D, "Volume set reassigned");
    a(0x3F, 0x0E, SenseAction.RDEF.withRescan(true), "Reported LUNs data has changed");
    r(0x3F, 0x0F, "Echo buffer overwritten");
    r(0x3F, 0x10, "Medium loadable");
    r(0x3F, 0x11, "Medium auxiliary memory accessible");
    r(0x3F, 0x12, "iSCSI IP address added");
    r(0x3F, 0x13, "iSCSI IP address removed");
    r(0x3F, 0x14, "iSCSI IP address changed");
    r(0x40, 0x00, "RAM failure");
    r(0x41, 0x00, "Data path failure");
    r(0x42, 0x00, "Power-on or self-test failure");
    r(0x43, 0x00, "Message error");
    r(0x44, 0x00, "Internal target failure");
    r(0x44, 0x71, "ATA device failed set features");
    r(0x45, 0x00, "Select or reselect failure");
    r(0x46, 0x00, "Unsuccessful soft reset");
    r(0x47, 0x00, "SCSI parity error");
    r(0x47, 0x01, "Data phase CRC error detected");
    r(0x47, 0x02, "SCSI parity error detected during ST data phase");
    r(0x47, 0x03, "Information unit iuCRC error detected");
    r(0x47, 0x04, "Asynchronous information protection error detected");
    r(0x47, 0x05, "Protocol service CRC error");
    r(0x47, 0x06, "PHY test function in progress");
    r(0x47, 0x7F, "Some commands cleared by iSCSI protocol event");
    r(0x48, 0x00, "Initiator detected error message received");
    r(0x49, 0x00, "Invalid message error");
    r(0x4A, 0x00, "Command phase error");
    r(0x4B, 0x00, "Data phase error");
    r(0x4B, 0x01, "Invalid target port transfer tag received");
    r(0x4B, 0x02, "Too much write data");
    r(0x4B, 0x03, "ACK/NAK timeout");
    r(0x4B, 0x04, "NAK received");
    r(0x4B, 0x05, "Data offset error");
    r(0x4B, 0x06, "Initiator response timeout");
    r(0x4B, 0x07, "Connection lost");
    r(0x4C, 0x00, "Logical unit failed self-configuration");
    r(0x4E, 0x00, "Overlapped commands attempted");
    r(0x50, 0x00, "Write append error");
    r(0x50, 0x01, "Write append position error");
    r(0x50, 0x02, "Position error related to timing");
    r(0x51, 0x00, "Erase failure");
    r(0x52, 0x00, "Cartridge fault");
    r(0x53, 0x00, "Media load or eject failed");
    r(0x53, 0x01, "Unload tape failure");
    r(0x53, 0x02, "Medium removal prevented");
    r(0x53, 0x03, "Medium removal prevented by data transfer element");
    r(0x53, 0x04, "Medium thread or unthread failure");
    r(0x54, 0x00, "SCSI to host system interface failure");
    r(0x55, 0x00, "System resource failure");
    r(0x55, 0x01, "System buffer full");
    r(0x55, 0x02, "Insufficient reservation resources");
    r(0x55, 0x03, "Insufficient resources");
    r(0x55, 0x04, "Insufficient registration resources");
    r(0x55, 0x05, "Insufficient access control resources");
    r(0x55, 0x06, "Auxiliary memory out of space");
    r(0x55, 0x0B, "Insufficient power for operation");
    r(0x57, 0x00, "Unable to recover table-of-contents");
    r(0x58, 0x00, "Generation does not exist");
    r(0x59, 0x00, "Updated block read");
    r(0x5A, 0x00, "Operator request or state change input");
    r(0x5A, 0x01, "Operator medium removal request");
    r(0x5A, 0x02, "Operator selected write protect");
    r(0x5A, 0x03, "Operator selected write permit");
    r(0x5B, 0x00, "Log exception");
    r(0x5B, 0x01, "Threshold condition met");
    r(0x5B, 0x02, "Log counter at maximum");
    r(0x5B, 0x03, "Log list codes exhausted");
    r(0x5C, 0x00, "RPL status change");
    r(0x5C, 0x01, "Spindles synchronized");
    r(0x5C, 0x02, "Spindles not synchronized");
    r(0x5D, 0x00, "Failure prediction threshold exceeded");
    r(0x5D, 0x10, "Hardware impending failure general hard drive failure");
    r(0x5D, 0xFF, "Failure prediction threshold exceeded (false)");
    r(0x5E, 0x00, "Low power condition on");
    r(0x5E, 0x01, "Idle condition activated by timer");
    r(0x5E, 0x02, "Standby condition activated by timer");
    r(0x5E, 0x03, "Idle condition activated by command");
    r(0x5E, 0x04, "Standby condition activated by command");
    r(0x60, 0x00, "Lamp failure");
    r(0x61, 0x00, "Video acquisition error");
    r(0x62, 0x00, "Scan head positioning error");
    r(0x63, 0x00, "End of user area encountered on this track");
    r(0x64, 0x00, "Illegal mode for this track");
    r(0x65, 0x00, "Voltage fault");
    r(0x66, 0x00, "Automatic document feeder cover up");
    r(0x67, 0x00, "Configuration failure");
    r(0x67, 0x0A, "Set target port groups command failed");
    f(0x68, 0x00, ENXIO, "Logical unit not configured");
    r(0x69, 0x00, "Data loss on logical unit");
    r(0x6A, 0x00, "Informational, refer to log");
    r(0x6B, 0x00, "State change has occurred");
    r(0x6C, 0x00, "Rebuild failure occurred");
    r(0x6D, 0x00, "Recalculate failure occurred");
    r(0x6E, 0x00, "Command to logical unit failed");
    r(0x6F, 0x00, "Copy protection key exchange failure - authentication failure");
    r(0x71, 0x00, "Decompression exception long algorithm ID");
    r(0x72, 0x00, "Session fixation error");
    r(0x73, 0x00, "CD control error");
    r(0x74, 0x00, "Security error");
    r(0x74, 0x08, "Digital signature validation failure");
  }

  /** Every fixed entry of the ASC/ASCQ table in table order. */
  public static List<AscEntry> entries() {
    return Collections.unmodifiableList(ORDERED);
  }

  /** The name CAM prints for a sense key, e.g. "UNIT ATTENTION". */
  public static String keyName(int key) {
    return key >= 0 && key < 16 ? KEY_NAMES[key] : "Invalid Sense Key";
  }

  /** The default action for a sense key ({@code sense_key_table}). */
  public static SenseAction keyAction(int key) {
    return key >= 0 && key < 16 ? KEY_ACTIONS[key] : SenseAction.RDEF;
  }

  /**
   * The table entry for (asc, ascq), including the ranged entries 40/NN (diagnostic failure on
   * component NN, NN &ge; 0x80), 4D/NN (tagged overlapped commands) and 70/NN (decompression
   * exception).
   */
  public static Optional<AscEntry> lookup(int asc, int ascq) {
    AscEntry e = ASC.get(((asc & 0xff) << 8) | (ascq & 0xff));
    if (e != null) {
      return Optional.of(e);
    }
    if (asc == 0x40 && ascq >= 0x80) {
      return Optional.of(new AscEntry(asc, ascq, String.format("Diagnostic failure on component %02Xh", ascq), SenseAction.RDEF));
    }
    if (asc == 0x4D) {
      return Optional.of(new AscEntry(asc, ascq, String.format("Tagged overlapped commands (task tag %02Xh)", ascq), SenseAction.RDEF));
    }
    if (asc == 0x70) {
      return Optional.of(new AscEntry(asc, ascq, String.format("Decompression exception short algorithm ID of %02Xh", ascq), SenseAction.RDEF));
    }
    return Optional.empty();
  }

  /**
   * The text for (asc, ascq); unknown pairs give "Vendor Specific ASC" (asc &ge; 0x80), "Vendor
   * Specific ASCQ" (ascq &ge; 0x80) or "ASC 0xNN ASCQ 0xNN".
   */
  public static String ascText(int asc, int ascq) {
    Optional<AscEntry> e = lookup(asc, ascq);
    if (e.isPresent()) {
      return e.get().text();
    }
    if (asc >= 0x80) {
      return "Vendor Specific ASC";
    }
    if (ascq >= 0x80) {
      return "Vendor Specific ASCQ";
    }
    return String.format("ASC 0x%02x ASCQ 0x%02x", asc & 0xff, ascq & 0xff);
  }

  /**
   * The table action for a sense triple before the sense flags are applied: the ASC/ASCQ entry
   * when there is one (and the pair is not 00/00), else the sense key's action. A negative asc
   * (sense too short to carry one) uses the key's action.
   */
  public static SenseAction action(int key, int asc, int ascq) {
    if (asc > 0 || ascq > 0) {
      Optional<AscEntry> e = lookup(asc, ascq);
      if (e.isPresent()) {
        return e.get().action();
      }
    }
    return keyAction(key);
  }

  /**
   * The action for a sense triple with {@code sense_flags} applied, as {@code scsi_error_action()}
   * computes it: RECOVERED ERROR always becomes a printed NOP; {@link CcbFlags#SF_QUIET_IR} stops
   * ILLEGAL REQUEST from being printed; a UNIT ATTENTION always carries the unit-attention flag
   * and, with {@link CcbFlags#SF_RETRY_UA}, a fatal UA becomes a retry; {@link
   * CcbFlags#SF_NO_RECOVERY} turns START UNIT / TUR recovery into a failure; {@link
   * CcbFlags#SF_NO_RETRY} turns a retry into a failure.
   */
  public static SenseAction errorAction(int key, int asc, int ascq, int senseFlags) {
    SenseAction act = action(key, asc, ascq);
    if (key == Sense.RECOVERED_ERROR) {
      act = new SenseAction(SenseAction.Kind.NOP, act.errno(), false, true, false, false, false, 0, 0);
    } else if (key == Sense.ILLEGAL_REQUEST) {
      if ((senseFlags & CcbFlags.SF_QUIET_IR) != 0) {
        act = act.withPrint(false);
      }
    } else if (key == Sense.UNIT_ATTENTION) {
      if ((senseFlags & CcbFlags.SF_RETRY_UA) != 0 && act.kind() == SenseAction.Kind.FAIL) {
        // action &= ~(SS_MASK|SSQ_MASK): the qualifiers go too, the errno stays
        act = new SenseAction(SenseAction.Kind.RETRY, act.errno(), true, true, false, false, false, 0, 0);
      }
      act = act.withUnitAttention(true);
    }
    if ((act.kind() == SenseAction.Kind.START_UNIT || act.kind() == SenseAction.Kind.TUR)
        && (senseFlags & CcbFlags.SF_NO_RECOVERY) != 0) {
      act = act.withKind(SenseAction.Kind.FAIL);
    } else if (act.kind() == SenseAction.Kind.RETRY && (senseFlags & CcbFlags.SF_NO_RETRY) != 0) {
      act = act.withKind(SenseAction.Kind.FAIL);
    }
    return act;
  }
}
