/** Service names firewalls and fail2ban accept in place of port numbers (the /etc/services ones we meet). */
export const SERVICE_PORTS: Readonly<Record<string, number>> = {
  ssh: 22,
  http: 80,
  https: 443,
  domain: 53,
  smtp: 25,
};
