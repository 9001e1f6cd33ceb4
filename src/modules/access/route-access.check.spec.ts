import { Controller, Get, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Public } from '../../common/auth/public.decorator';
import { Authenticated } from '../../common/http/api-docs';
import { RouteAccessCheck } from './route-access.check';

@Controller('declared')
class DeclaredController {
  @Public()
  @Get('open')
  open() {}

  @Authenticated()
  @Get('closed')
  closed() {}

  helper() {}
}

@Public()
@Controller('health-like')
class PublicByClassController {
  @Get()
  live() {}
}

@Controller('forgotten')
class UndeclaredController {
  @Get()
  forgotten() {}
}

@Controller('confused')
class BothController {
  @Public()
  @Authenticated()
  @Get()
  confused() {}
}

async function boot(...controllers: Type[]): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [RouteAccessCheck],
  }).compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
  }
}

describe('RouteAccessCheck', () => {
  it('should let the app start when every route declares exactly one access, on the handler or the class', async () => {
    await expect(boot(DeclaredController, PublicByClassController)).resolves.toBeUndefined();
  });

  it('should refuse to start when a route declares no access, naming it', async () => {
    await expect(boot(DeclaredController, UndeclaredController)).rejects.toThrow(
      'UndeclaredController.forgotten (none)',
    );
  });

  it('should refuse to start when a route is both public and authenticated', async () => {
    await expect(boot(BothController)).rejects.toThrow('BothController.confused (public + authenticated)');
  });
});
