import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PageRenderer } from './page-renderer.service';

/**
 * Errors a page's handler did not answer itself (a refused CSRF token, a throttle, an unknown
 * tenant) are shown on the sign-in page in role="alert", with the API's status, instead of JSON.
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  constructor(private readonly renderer: PageRenderer) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    await this.renderer.render(request, reply, 'signin', { failure: exception });
  }
}
