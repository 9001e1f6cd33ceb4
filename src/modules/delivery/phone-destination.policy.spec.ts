import { textablePhone } from './phone-destination.policy';

describe('textablePhone (which numbers may be texted at all)', () => {
  it.each([
    ['+14155550123', '1', 'US'],
    ['+447400123456', '44', 'GB'],
    ['+4915112345678', '49', 'DE'],
    ['+33612345678', '33', 'FR'],
    ['+8613812345678', '86', 'CN'],
  ])('should accept the mobile (or fixed-line-or-mobile) number %s', (phone, callingCode, country) => {
    expect(textablePhone(phone)).toEqual({ callingCode, country });
  });

  it.each([
    ['UK premium rate', '+449098790000'],
    ['US premium rate', '+19005551234'],
    ['US toll-free', '+18005550199'],
    ['US personal number (+1 500)', '+15005550006'],
    ['French landline', '+33123456789'],
    ['German landline', '+49301234567'],
    ['+800 freephone', '+80012345678'],
    ['+808 shared cost', '+80812345678'],
    ['+870 Inmarsat (typed MOBILE by libphonenumber)', '+870301234567'],
    ['+878 universal personal', '+878101234567890'],
    ['+881 satellite (typed MOBILE by libphonenumber)', '+881612345678'],
    ['+882 network (typed MOBILE by libphonenumber)', '+8823421234'],
    ['+883 network', '+883510012345'],
    ['+888 humanitarian', '+88812345678901'],
    ['+979 international premium rate', '+979123456789'],
    ['invalid', '+1000000000'],
  ])('should refuse a number that is %s: %s', (_, phone) => {
    expect(textablePhone(phone)).toBeNull();
  });
});
