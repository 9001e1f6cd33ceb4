declare module 'fxa-common-password-list' {
  /** True when the password is in Mozilla's bundled list of common passwords (exact match). */
  export function test(password: string): boolean;
}
