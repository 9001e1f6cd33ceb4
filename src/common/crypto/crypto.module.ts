import { Global, Module } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { CryptoService } from './crypto.service';
import { PasswordHasher } from './password-hasher';

@Global()
@Module({
  providers: [CryptoService, PasswordHasher, Clock],
  exports: [CryptoService, PasswordHasher, Clock],
})
export class CryptoModule {}
