/** A finished message, rendered by the module that has something to say: delivery sends it as it is. */
export interface MessageContent {
  subject: string;
  text: string;
  html: string;
}

/** For authors of `html`: every value that came from a client must pass through it. */
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
