/** Labels Cloudscape components need for screen readers (their icon-only buttons). */
import type { AppLayoutProps } from '@cloudscape-design/components/app-layout';
import type { PaginationProps } from '@cloudscape-design/components/pagination';
import type { TopNavigationProps } from '@cloudscape-design/components/top-navigation';

export const PAGINATION_LABELS: PaginationProps.Labels = {
  nextPageLabel: 'Next page',
  previousPageLabel: 'Previous page',
  pageLabel: (page) => `Page ${page}`,
};

export const APP_LAYOUT_LABELS: AppLayoutProps.Labels = {
  navigation: 'Side navigation',
  navigationToggle: 'Open side navigation',
  navigationClose: 'Close side navigation',
  notifications: 'Notifications',
};

export const TOP_NAVIGATION_LABELS: TopNavigationProps.I18nStrings = {
  overflowMenuTriggerText: 'More',
  overflowMenuTitleText: 'All',
};
