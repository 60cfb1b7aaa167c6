/* Hypervisor awareness for a machine of the program (hv/, docs/hv.md): recognise
 * the booted image, observe the CPU's events, summarise at the end. */
#ifndef SIM_HVAWARE_H
#define SIM_HVAWARE_H

#include <stdio.h>

#include "hv/hv.h"
#include "machine/machine.h"

/* Recognise image_path's hypervisor and observe m. Says on log what it found;
 * NULL (and the run goes on unobserved) when the image is not recognised. */
struct hv *sim_hv_attach(struct machine *m, const char *image_path, FILE *log);
/* Observe to (a restored machine replacing from) from now on. */
void sim_hv_move(struct machine *from, struct machine *to, struct hv *h);
/* Summary to log (NULL: none), then stop observing and free. */
void sim_hv_detach(struct machine *m, struct hv *h, FILE *log);

#endif
