/* Hypervisor awareness for a machine of the program: hv/ recognises the image
 * and observes the machine's CPU events; the machine is none the wiser. */
#include <stdlib.h>

#include "hvaware.h"
#include "machine/multiboot.h"

struct hv *sim_hv_attach(struct machine *m, const char *image_path, FILE *log)
{
    uint8_t *img = NULL;
    size_t len = 0;
    char err[256];
    struct hv_ident id;

    if (multiboot_read_file(image_path, &img, &len, err, sizeof err)) {
        fprintf(log, "hvsim: hv: %s\n", err);
        return NULL;
    }
    hv_recognise(img, len, &id);
    free(img);
    if (!id.profile) {
        fprintf(log, "hvsim: hv: %s: hypervisor not recognised; the run goes on without awareness\n", image_path);
        return NULL;
    }
    uint64_t ram_size;
    const uint8_t *ram = machine_ram(m, &ram_size);
    struct hv *h = hv_new(&id, machine_cpu(m), ram, ram_size);
    if (!h)
        return NULL;
    fprintf(log, "hvsim: hv: %s: %s %s (from %s)\n", image_path, id.profile->name, id.version, id.evidence);
    machine_set_observer(m, hv_on_event, h);
    return h;
}

void sim_hv_detach(struct machine *m, struct hv *h, FILE *log)
{
    if (!h)
        return;
    if (log)
        hv_write_summary(h, log);
    machine_set_observer(m, NULL, NULL);
    hv_set_trace(h, NULL);
    hv_free(h);
}

void sim_hv_move(struct machine *from, struct machine *to, struct hv *h)
{
    uint64_t ram_size;
    const uint8_t *ram = machine_ram(to, &ram_size);
    machine_set_observer(from, NULL, NULL);
    hv_rebind(h, machine_cpu(to), ram, ram_size);
    machine_set_observer(to, hv_on_event, h);
}
