-- labs/08-lifecycle's grader: the answers against what xl said in the run.
question{ key = "dom0_mem", expect = results.dom0_mem,
  hint = "xl list's Mem column for Domain-0; Xen's command line has dom0_mem=512M" }
question{ key = "total_memory", expect = results.total_memory,
  hint = "xl info's total_memory, in MiB" }
question{ key = "free_before", expect = results.free_before,
  hint = "xl info's free_memory before any DomU" }
question{ key = "domu_mem", expect = results.domu_mem,
  hint = "xl list's Mem column for linux (memory= on xl create's command line beats the file's)" }
question{ key = "free_drop", expect = results.free_before - results.free_with_domu,
  hint = "free_memory before xl create minus free_memory with the DomU running" }
question{ key = "paused_state", expect = { results.paused_state, "p", "paused" },
  hint = "xl list's State column after xl pause (r running, b blocked, p paused, s shutdown, c crashed, d dying)" }
question{ key = "first_id", expect = results.first_id,
  hint = "xl list's ID column after the first xl create" }
question{ key = "rebooted_id", expect = results.rebooted_id,
  hint = "on_reboot='restart' builds a new domain of the same name: xl list after the reboot" }
question{ key = "crashed_state", expect = { results.crashed_state, "c", "crashed", "sc" },
  hint = "on_crash='preserve' keeps the domain: its State column after the panic" }
question{ key = "crashed_id", expect = results.crashed_id,
  hint = "does a crash preserved by on_crash give the domain a new id?" }
question{ key = "next_id", expect = results.next_id,
  hint = "after xl destroy, the next xl create: does Xen reuse a freed domain id?" }
