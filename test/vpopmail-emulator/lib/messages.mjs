// @ts-check
// vpopmail's error codes and verror() texts: the programs print these and exit with the code.

export const VERSION = '5.6.13';

export const VA = {
  ILLEGAL_USERNAME: -1,
  USERNAME_EXISTS: -2,
  BAD_DIR: -3,
  BAD_U_DIR: -4,
  BAD_D_DIR: -5,
  BAD_V_DIR: -6,
  EXIST_U_DIR: -7,
  USER_DOES_NOT_EXIST: -10,
  DOMAIN_DOES_NOT_EXIST: -11,
  INVALID_DOMAIN_NAME: -12,
  DOMAIN_ALREADY_EXISTS: -13,
  COULD_NOT_MAKE_DOMAIN_DIR: -14,
  COULD_NOT_OPEN_QMAIL_DEFAULT: -15,
  CAN_NOT_MAKE_DOMAINS_DIR: -16,
  COULD_NOT_UPDATE_FILE: -17,
  BAD_CHAR: -20,
  BAD_UID: -22,
  NO_AUTH_CONNECTION: -23,
  USER_NAME_TOO_LONG: -25,
  DOMAIN_NAME_TOO_LONG: -26,
  PASSWD_TOO_LONG: -27,
  GECOS_TOO_LONG: -28,
  QUOTA_TOO_LONG: -29,
  DIR_TOO_LONG: -30,
  CLEAR_PASSWD_TOO_LONG: -31,
  ALIAS_LINE_TOO_LONG: -32,
  CANNOT_READ_LIMITS: -36,
  CANNOT_READ_ASSIGN: -37,
  CANNOT_DELETE_CATCHALL: -55,
  PASSWD_REQUIRES_MORE_CHARS: -70,
};
export const POLICY_TEXT = 'Passwords must be at least one character long';

/**
 * @param {number} code
 * @returns {string}
 */
export function verror(code) {
  switch (code) {
    case 0:
      return 'Success';
    case VA.ILLEGAL_USERNAME:
      return 'Illegal username';
    case VA.USERNAME_EXISTS:
      return 'Username exists';
    case VA.BAD_DIR:
      return 'Unable to chdir to vpopmail directory';
    case VA.BAD_U_DIR:
      return 'Unable to chdir to vpopmail/users directory';
    case VA.BAD_D_DIR:
      return 'Unable to chdir to vpopmail/domains directory';
    case VA.BAD_V_DIR:
      return 'Unable to chdir to vpopmail/domains/domain directory';
    case VA.EXIST_U_DIR:
      return "User's directory already exists";
    case VA.USER_DOES_NOT_EXIST:
      return 'User does not exist';
    case VA.DOMAIN_DOES_NOT_EXIST:
      return 'Domain does not exist';
    case VA.INVALID_DOMAIN_NAME:
      return 'Invalid domain name';
    case VA.DOMAIN_ALREADY_EXISTS:
      return 'Domain already exists';
    case VA.COULD_NOT_MAKE_DOMAIN_DIR:
      return 'Could not make domain dir';
    case VA.COULD_NOT_OPEN_QMAIL_DEFAULT:
      return 'Could not open qmail default';
    case VA.CAN_NOT_MAKE_DOMAINS_DIR:
      return 'Can not make domains directory';
    case VA.COULD_NOT_UPDATE_FILE:
      return 'Could not update file';
    case VA.BAD_CHAR:
      return 'bad character';
    case VA.BAD_UID:
      return 'running as invalid uid';
    case VA.NO_AUTH_CONNECTION:
      return 'no authentication database connection';
    case VA.USER_NAME_TOO_LONG:
      return 'user name too long (max=64)';
    case VA.DOMAIN_NAME_TOO_LONG:
      return 'domain name too long (max=96)';
    case VA.PASSWD_TOO_LONG:
      return 'password too long (max=128)';
    case VA.GECOS_TOO_LONG:
      return 'gecos too long (max=64)';
    case VA.QUOTA_TOO_LONG:
      return 'quota too long (max=20)';
    case VA.DIR_TOO_LONG:
      return 'dir too long (max=160)';
    case VA.CLEAR_PASSWD_TOO_LONG:
      return 'clear password too long (max=128)';
    case VA.ALIAS_LINE_TOO_LONG:
      return 'alias line too long (max=160)';
    case VA.CANNOT_READ_LIMITS:
      return "can't read domain limits";
    case VA.CANNOT_READ_ASSIGN:
      return "can't read users/assign file";
    case VA.CANNOT_DELETE_CATCHALL:
      return "can't delete catchall account";
    case VA.PASSWD_REQUIRES_MORE_CHARS:
      return 'password requires more characters ';
    default:
      return 'Unknown error';
  }
}
/** The codes vpopmail's password policy refuses with: the programs then print the policy. */
export const isPolicyError = (/** @type {number} */ code) => code <= -69 && code >= -74;
