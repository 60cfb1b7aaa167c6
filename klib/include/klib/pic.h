/* pic.h: the two cascaded 8259A PICs (Intel 8259A datasheet), remapped to
 * vectors VEC_IRQ0..VEC_IRQ0+15 with every line masked. */
#ifndef KLIB_PIC_H
#define KLIB_PIC_H

void pic_init(void);
void pic_unmask(int irq);
void pic_mask(int irq);
void pic_eoi(int irq);

#endif
