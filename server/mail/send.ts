// Outgoing e-mail for the platform itself (invitations, quota notices), through the SMTP server
// in BATON_SMTP_URL (e.g. smtp://user:pass@mail.example.com:587). Without it, mail is skipped and
// the UI shows links to copy instead.
import nodemailer from "nodemailer";
import { env } from "@/server/config";

export const mailEnabled = () => Boolean(env.BATON_SMTP_URL);

export async function sendMail(message: { to: string; subject: string; text: string }): Promise<boolean> {
  const url = env.BATON_SMTP_URL;
  if (!url) return false;
  const transport = nodemailer.createTransport(url);
  await transport.sendMail({ from: env.BATON_MAIL_FROM, ...message });
  return true;
}
