export function Logo({ className = "h-7 w-7" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#2953e0" />
      <path d="M8 22 16 8l8 14" fill="none" stroke="#fff" strokeWidth="3" strokeLinejoin="round" />
      <circle cx="16" cy="8" r="2.5" fill="#fff" />
      <circle cx="8" cy="22" r="2.5" fill="#fff" />
      <circle cx="24" cy="22" r="2.5" fill="#fff" />
    </svg>
  );
}
