'use strict';

const { isValidPhoneNumber } = require('libphonenumber-js');

const AREA_CODES = ['415', '212', '310', '646', '617', '206', '305', '312', '702', '213'];

/**
 * Distinct, libphonenumber-valid US numbers (E.164). Every call to next() gives a new one
 * within this bench run, so per-destination caps and cooldowns never kick in.
 */
function phoneSequence() {
  let index = 0;
  return {
    next() {
      for (;;) {
        const i = index++;
        const area = AREA_CODES[i % AREA_CODES.length];
        const rest = Math.floor(i / AREA_CODES.length);
        const exchange = 234 + Math.floor(rest / 10_000);
        const line = String(rest % 10_000).padStart(4, '0');
        const phone = `+1${area}${exchange}${line}`;
        if (isValidPhoneNumber(phone)) return phone;
      }
    },
  };
}

module.exports = { phoneSequence };
