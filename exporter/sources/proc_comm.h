// Parser of /proc/<pid>/comm: a task's command name.
//
// Source: fs/proc/base.c comm_show() → proc_task_name(); Documentation/filesystems/proc.rst.
// The name and a newline, printed unescaped. It is the task's comm, at most
// TASK_COMM_LEN - 1 = 15 bytes (exec and prctl(PR_SET_NAME) truncate it), and a process
// can put any byte in it, spaces ("Web Content") and newlines included; so only the final
// newline is removed, and no name a process chooses can make the parser fail. Since 5.17
// a kernel thread can show a longer name, and since 4.18 a workqueue worker shows its last
// workqueue after its own name ("kworker/1:2-wg-crypt-wt0").
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace wgtune {

// The longest comm of a user process: a configured name is compared on this many bytes.
inline constexpr size_t kTaskCommMaxLength = 15;

// The name without its final newline. Throws ParseError ("comm: ...") when the text does
// not end in a newline (empty, or cut short). An empty name ("\n") is valid.
std::string_view ParseComm(std::string_view text);

// The interface of a kernel WireGuard crypt thread, from its comm; nullopt for any other
// task. WireGuard allocates a "wg-crypt-<iface>" workqueue per device
// (drivers/net/wireguard/device.c) with WQ_MEM_RECLAIM, which gives it a rescuer kthread
// whose comm names the workqueue:
//   up to 6.8   "wg-crypt-wt0"            cut to 15 bytes: "wg-crypt-netbir" for netbird0
//   6.9         "kworker/R-wg-cr"         cut to 15 bytes, the interface is lost: not matched
//   6.10+       "kworker/R-wg-crypt-wt0"  the full name (kernel/workqueue.c wq_worker_comm)
// While the rescuer is working, the workqueue's name is appended once more after a '+' or
// '-' ("wg-crypt-wt0+wg-crypt-wt0"); that copy is dropped. Pool workers that merely ran
// crypt work last ("kworker/3:1-wg-crypt-wt0") are shared by all workqueues and not matched.
std::optional<std::string_view> WireGuardCryptInterface(std::string_view comm);

}  // namespace wgtune
