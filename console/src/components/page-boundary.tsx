/**
 * Pages load in their own chunks (App.tsx): while one loads a spinner shows, and a chunk that fails
 * to load (a deployment replaced it, the network dropped) says so with a Retry, never a blank page.
 */
import Alert from '@cloudscape-design/components/alert';
import Button from '@cloudscape-design/components/button';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import { Component, type ReactNode, Suspense } from 'react';

class ChunkErrorBoundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Alert
        type="error"
        header="This page could not be loaded"
        action={<Button onClick={() => window.location.reload()}>Retry</Button>}
      >
        {error.message}
      </Alert>
    );
  }
}

export function PageBoundary({ children }: { children: ReactNode }) {
  return (
    <ChunkErrorBoundary>
      <Suspense fallback={<StatusIndicator type="loading">Loading</StatusIndicator>}>{children}</Suspense>
    </ChunkErrorBoundary>
  );
}
