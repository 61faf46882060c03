import { describe, expect, it, vi } from 'vitest';
import { whileMounted } from './while-mounted';

describe('whileMounted', () => {
  it('hands the value or the error over while the effect is current', async () => {
    // Prepare
    const onValue = vi.fn();
    const onError = vi.fn();
    // Act
    whileMounted(Promise.resolve(7), onValue, onError);
    whileMounted(Promise.reject(new Error('refused')), onValue, onError);
    await new Promise((settled) => setTimeout(settled, 0));
    // Assess
    expect(onValue).toHaveBeenCalledWith(7);
    expect(onError).toHaveBeenCalledWith(new Error('refused'));
  });

  it('drops an outcome that settles after the cleanup ran', async () => {
    // Prepare
    const onValue = vi.fn();
    const onError = vi.fn();
    // Act: the effect is cleaned up before either promise settles.
    whileMounted(Promise.resolve(7), onValue, onError)();
    whileMounted(Promise.reject(new Error('late')), onValue, onError)();
    await new Promise((settled) => setTimeout(settled, 0));
    // Assess
    expect(onValue).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
  });
});
