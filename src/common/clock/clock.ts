import { Injectable } from '@nestjs/common';

/** Time behind an injectable so tests can move it. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowMs(): number {
    return Date.now();
  }

  nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }
}
