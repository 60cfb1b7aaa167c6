/* arch/e1000.h: the Intel 82540EM (PCI 8086:100e) register map, descriptor
 * formats and bit names, after Intel's "PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual" (8254x SDM, rev. 4.0) and the names
 * Linux's e1000 driver gives them. One copy for the device model (devices/) and
 * the freestanding test kernels. Values only. */
#ifndef ARCH_E1000_H
#define ARCH_E1000_H

#define E1000_VENDOR_ID 0x8086
#define E1000_DEVICE_ID 0x100e        /* 82540EM */
#define E1000_SUBSYS_ID 0x001e        /* PRO/1000 MT Desktop */
#define E1000_CLASS_REV 0x02000003u   /* Ethernet controller, revision 3 */
#define E1000_BAR0_SIZE 0x20000       /* 128 KiB of registers */
#define E1000_BAR1_SIZE 0x40          /* I/O: IOADDR at 0, IODATA at 4 */
#define E1000_IOADDR 0x0
#define E1000_IODATA 0x4

/* Registers (byte offsets in BAR0). */
#define E1000_CTRL 0x0000
#define E1000_STATUS 0x0008
#define E1000_EECD 0x0010
#define E1000_EERD 0x0014
#define E1000_CTRL_EXT 0x0018
#define E1000_MDIC 0x0020
#define E1000_FCAL 0x0028
#define E1000_FCAH 0x002c
#define E1000_FCT 0x0030
#define E1000_VET 0x0038
#define E1000_ICR 0x00c0
#define E1000_ITR 0x00c4
#define E1000_ICS 0x00c8
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_RCTL 0x0100
#define E1000_FCTTV 0x0170
#define E1000_TXCW 0x0178
#define E1000_RXCW 0x0180
#define E1000_TCTL 0x0400
#define E1000_TIPG 0x0410
#define E1000_AIT 0x0458
#define E1000_LEDCTL 0x0e00
#define E1000_PBA 0x1000
#define E1000_FCRTL 0x2160
#define E1000_FCRTH 0x2168
#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_RDTR 0x2820
#define E1000_RADV 0x282c
#define E1000_RSRPD 0x2c00
#define E1000_TDBAL 0x3800
#define E1000_TDBAH 0x3804
#define E1000_TDLEN 0x3808
#define E1000_TDH 0x3810
#define E1000_TDT 0x3818
#define E1000_TIDV 0x3820
#define E1000_TXDCTL 0x3828
#define E1000_TADV 0x382c
#define E1000_STATS_FIRST 0x4000      /* statistics: 0x4000-0x40ff, read to clear */
#define E1000_STATS_END 0x4100
#define E1000_CRCERRS 0x4000
#define E1000_MPC 0x4010               /* missed packets */
#define E1000_COLC 0x4028
#define E1000_PRC64 0x405c
#define E1000_GPRC 0x4074              /* good packets received */
#define E1000_BPRC 0x4078
#define E1000_MPRC 0x407c
#define E1000_GPTC 0x4080              /* good packets transmitted */
#define E1000_GORCL 0x4088
#define E1000_GORCH 0x408c
#define E1000_GOTCL 0x4090
#define E1000_GOTCH 0x4094
#define E1000_RNBC 0x40a0              /* receive no buffers */
#define E1000_RUC 0x40a4
#define E1000_ROC 0x40ac
#define E1000_TORL 0x40c0
#define E1000_TORH 0x40c4
#define E1000_TOTL 0x40c8
#define E1000_TOTH 0x40cc
#define E1000_TPR 0x40d0               /* total packets received */
#define E1000_TPT 0x40d4               /* total packets transmitted */
#define E1000_PTC64 0x40d8
#define E1000_MPTC 0x40f0
#define E1000_BPTC 0x40f4
#define E1000_TSCTC 0x40f8             /* TCP segmentation contexts transmitted */
#define E1000_RXCSUM 0x5000
#define E1000_MTA 0x5200               /* 128 dwords of multicast hash */
#define E1000_RAL0 0x5400              /* 16 pairs RAL/RAH */
#define E1000_RAH0 0x5404
#define E1000_RA_ENTRIES 16
#define E1000_VFTA 0x5600
#define E1000_WUC 0x5800
#define E1000_WUFC 0x5808
#define E1000_WUS 0x5810
#define E1000_MANC 0x5820

/* CTRL */
#define E1000_CTRL_FD 0x00000001u
#define E1000_CTRL_ASDE 0x00000020u
#define E1000_CTRL_SLU 0x00000040u
#define E1000_CTRL_RST 0x04000000u
#define E1000_CTRL_PHY_RST 0x80000000u
/* STATUS */
#define E1000_STATUS_FD 0x00000001u
#define E1000_STATUS_LU 0x00000002u
#define E1000_STATUS_SPEED_1000 0x00000080u
#define E1000_STATUS_GIO_MASTER_EN 0x00080000u
/* EECD: the Microwire EEPROM's pins, bit-banged by the driver */
#define E1000_EECD_SK 0x001u
#define E1000_EECD_CS 0x002u
#define E1000_EECD_DI 0x004u
#define E1000_EECD_DO 0x008u
#define E1000_EECD_REQ 0x040u
#define E1000_EECD_GNT 0x080u
#define E1000_EECD_PRES 0x100u
#define E1000_EEPROM_WORDS 64
#define E1000_EEPROM_SUM 0xbaba       /* words 0-0x3f add up to this */
#define E1000_EEPROM_READ_OPCODE 0x6  /* start bit, then 10 */
/* EERD */
#define E1000_EERD_START 0x01u
#define E1000_EERD_DONE 0x10u
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16
/* MDIC */
#define E1000_MDIC_DATA_MASK 0x0000ffffu
#define E1000_MDIC_REG_SHIFT 16
#define E1000_MDIC_PHY_SHIFT 21
#define E1000_MDIC_OP_WRITE 0x04000000u
#define E1000_MDIC_OP_READ 0x08000000u
#define E1000_MDIC_READY 0x10000000u
#define E1000_MDIC_INT_EN 0x20000000u
#define E1000_MDIC_ERROR 0x40000000u
#define E1000_PHY_ADDR 1
/* PHY registers (IEEE 802.3 clause 22; 0x10-0x1f M88E1011's) */
#define E1000_PHY_CTRL 0x00
#define E1000_PHY_STATUS 0x01
#define E1000_PHY_ID1 0x02
#define E1000_PHY_ID2 0x03
#define E1000_PHY_AUTONEG_ADV 0x04
#define E1000_PHY_LP_ABILITY 0x05
#define E1000_PHY_AUTONEG_EXP 0x06
#define E1000_PHY_1000T_CTRL 0x09
#define E1000_PHY_1000T_STATUS 0x0a
#define E1000_PHY_M88_SPEC_CTRL 0x10
#define E1000_PHY_M88_SPEC_STATUS 0x11
#define E1000_PHY_M88_EXT_CTRL 0x14
#define E1000_PHY_REGS 32
#define E1000_MII_CR_RESET 0x8000u
#define E1000_MII_CR_RESTART_AN 0x0200u
#define E1000_MII_SR_LINK 0x0004u
#define E1000_MII_SR_AN_DONE 0x0020u
/* ICR / ICS / IMS / IMC */
#define E1000_ICR_TXDW 0x00000001u
#define E1000_ICR_TXQE 0x00000002u
#define E1000_ICR_LSC 0x00000004u
#define E1000_ICR_RXSEQ 0x00000008u
#define E1000_ICR_RXDMT0 0x00000010u
#define E1000_ICR_RXO 0x00000040u
#define E1000_ICR_RXT0 0x00000080u
#define E1000_ICR_MDAC 0x00000200u
#define E1000_ICR_ALL 0x0001f6dfu   /* the causes an 82540 has */
/* RCTL */
#define E1000_RCTL_EN 0x00000002u
#define E1000_RCTL_SBP 0x00000004u
#define E1000_RCTL_UPE 0x00000008u
#define E1000_RCTL_MPE 0x00000010u
#define E1000_RCTL_LPE 0x00000020u
#define E1000_RCTL_LBM_MASK 0x000000c0u
#define E1000_RCTL_RDMTS_SHIFT 8
#define E1000_RCTL_MO_SHIFT 12
#define E1000_RCTL_BAM 0x00008000u
#define E1000_RCTL_BSIZE_SHIFT 16
#define E1000_RCTL_BSEX 0x02000000u
#define E1000_RCTL_SECRC 0x04000000u
/* TCTL */
#define E1000_TCTL_EN 0x00000002u
#define E1000_TCTL_PSP 0x00000008u
/* RAH */
#define E1000_RAH_AV 0x80000000u

/* Descriptors: 16 bytes, little-endian. */
#define E1000_DESC_SIZE 16
/* Receive (legacy): addr 0-7, length 8-9, csum 10-11, status 12, errors 13, special 14-15. */
#define E1000_RXD_STAT_DD 0x01
#define E1000_RXD_STAT_EOP 0x02
#define E1000_RXD_STAT_IXSM 0x04
/* Transmit: addr 0-7, cmd_and_length 8-11, status/popts/special 12-15. Legacy:
 * length 8-9, CSO 10, CMD 11, STA 12, CSS 13. Extended (DEXT): DTYP bits 20-23
 * of dword 2 (0 context, 1 data), DCMD/TUCMD bits 24-31. */
#define E1000_TXD_CMD_EOP 0x01000000u
#define E1000_TXD_CMD_IFCS 0x02000000u
#define E1000_TXD_CMD_IC 0x04000000u   /* legacy: insert checksum */
#define E1000_TXD_CMD_TSE 0x04000000u  /* extended: TCP segmentation */
#define E1000_TXD_CMD_RS 0x08000000u
#define E1000_TXD_CMD_DEXT 0x20000000u
#define E1000_TXD_CMD_VLE 0x40000000u
#define E1000_TXD_CMD_IDE 0x80000000u
#define E1000_TXD_CMD_TCP 0x01000000u  /* context: TCP (else UDP) */
#define E1000_TXD_CMD_IP 0x02000000u   /* context: IPv4 (else IPv6) */
#define E1000_TXD_DTYP_MASK 0x00f00000u
#define E1000_TXD_DTYP_D 0x00100000u
#define E1000_TXD_DTYP_C 0x00000000u
#define E1000_TXD_STAT_DD 0x01
#define E1000_TXD_POPTS_IXSM 0x01
#define E1000_TXD_POPTS_TXSM 0x02

#endif
