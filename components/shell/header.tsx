// The console's header bar, above every page: the notification bell.
import { NotificationBell } from "@/components/notifications/bell";

export function ShellHeader() {
  return (
    <div className="-mt-4 mb-4 flex justify-end">
      <NotificationBell />
    </div>
  );
}
