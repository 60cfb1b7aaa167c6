/*
 * dsdt.asl: the DSDT of hvsim's pc-like machine (ACPI 6.4, chapters 6 and 19),
 * compiled by iasl at build time. The PCI root bridge decodes what hvsim does:
 * bus 0, the 0xcf8 configuration ports, all other I/O ports, and the MMIO hole
 * between the end of low RAM and the I/O APIC. acpi.c patches the hole
 * (PMIN/PMAX below) for the machine's RAM size. Interrupt routing follows
 * QEMU's pc machine: PCI INTx swizzled over four lines, (slot + pin) mod 4,
 * here straight to I/O APIC GSIs 16-19, level-triggered, active low.
 */
DefinitionBlock ("", "DSDT", 2, "HVSIM", "HVSIMPC", 1)
{
    Scope (\_SB)
    {
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_BBN, Zero)

            /* The 32-bit MMIO window: acpi.c overwrites both DWords with
             * the machine's hole (the placeholders only make iasl emit
             * DWordConst encodings it can find). */
            Name (PMIN, 0xC0000000)
            Name (PMAX, 0xFEBFFFFF)

            Name (CRS0, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100,,,)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8,,, , TypeStatic, DenseTranslation)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,,, , TypeStatic, DenseTranslation)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000,,, , AddressRangeMemory, TypeStatic)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,,, PW32, AddressRangeMemory, TypeStatic)
            })

            Method (_CRS, 0, Serialized)
            {
                CreateDWordField (CRS0, \_SB.PCI0.PW32._MIN, MIN)
                CreateDWordField (CRS0, \_SB.PCI0.PW32._MAX, MAX)
                CreateDWordField (CRS0, \_SB.PCI0.PW32._LEN, LEN)
                MIN = PMIN
                MAX = PMAX
                LEN = PMAX - PMIN + One
                Return (CRS0)
            }

            /* Slot s, pin p (0 = INTA) -> GSI 16 + (s + p) mod 4, every slot. */
            Method (_PRT, 0, NotSerialized)
            {
                Local0 = Package (128) {}
                Local1 = Zero
                While (Local1 < 128)
                {
                    Local2 = Local1 >> 2
                    Local3 = Local1 & 3
                    Local4 = Package (4) { Zero, Zero, Zero, Zero }
                    Local4 [0] = (Local2 << 16) | 0xFFFF
                    Local4 [1] = Local3
                    Local4 [3] = 16 + ((Local2 + Local3) & 3)
                    Local0 [Local1] = Local4
                    Local1++
                }
                Return (Local0)
            }

            /* 00:01.0, the PIIX3 ISA bridge, with the legacy devices hvsim has. */
            Device (ISA)
            {
                Name (_ADR, 0x00010000)

                Device (PIC)
                {
                    Name (_HID, EisaId ("PNP0000"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
                        IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
                        IRQNoFlags () {2}
                    })
                }

                Device (TMR)
                {
                    Name (_HID, EisaId ("PNP0100"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
                        IRQNoFlags () {0}
                    })
                }

                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
                        IRQNoFlags () {8}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08)
                        IRQNoFlags () {4}
                    })
                }

                /* Ports of hvsim's own devices, so the OS leaves them alone:
                 * ELCR, isa-debug-exit, fw_cfg and the ACPI PM block. */
                Device (RES)
                {
                    Name (_HID, EisaId ("PNP0C02"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x04D0, 0x04D0, 0x01, 0x02)
                        IO (Decode16, 0x00F4, 0x00F4, 0x01, 0x04)
                        IO (Decode16, 0x0510, 0x0510, 0x01, 0x02)
                        IO (Decode16, 0x0600, 0x0600, 0x01, 0x0C)
                    })
                }
            }
        }
    }

    /* Soft-off: SLP_TYP 0 for PM1a and PM1b, as ACPI_SLP_TYP_S5 in acpi.h. */
    Name (\_S5, Package (4) { Zero, Zero, Zero, Zero })
}
