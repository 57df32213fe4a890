package org.camstack.stack.target;

/**
 * A disk plugged into an SES enclosure slot.
 *
 * @param slot array device slot number (0-based)
 * @param wwn the disk's NAA WWN, 16 hex digits (its SAS address in page 0x0A)
 * @param lun the disk's LUN
 * @param target the disk's target id
 */
public record SlotOccupant(int slot, String wwn, long lun, int target) {}
