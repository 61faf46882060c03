/** Labels Cloudscape components need for screen readers (their icon-only buttons). */
import type { AppLayoutProps } from '@cloudscape-design/components/app-layout';
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
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

/** The stacked flash bar (three messages or more) has a toggle button that needs its words. */
export const FLASHBAR_LABELS: FlashbarProps.I18nStrings = {
  ariaLabel: 'Notifications',
  notificationBarText: 'Notifications',
  notificationBarAriaLabel: 'View all notifications',
  errorIconAriaLabel: 'Error',
  warningIconAriaLabel: 'Warning',
  successIconAriaLabel: 'Success',
  infoIconAriaLabel: 'Info',
  inProgressIconAriaLabel: 'In progress',
};
