/** The review feature's public API: other features and src/app import only from here. */
export { DecisionControls } from './ui/DecisionControls';
export { AccuracyBadge, MetricsPanel } from './ui/MetricsPanel';
export { useMetricsReport } from './ui/useMetricsReport';
export type { MetricsReport } from './ui/useMetricsReport';
export { ReviewToolbar } from './ui/ReviewToolbar';
export { SelectCheckbox } from './ui/SelectCheckbox';
export { reviewItemAttributes, useItemReview } from './ui/useItemReview';
export { useReviewKeyboard } from './ui/useReviewKeyboard';
export { selectOnClick, useTaskLabels, useVisibleIds } from './ui/useTaskReview';
export { useVirtualGrid } from './ui/useVirtualGrid';
export type { GridLayout } from './ui/useVirtualGrid';
export { laneStyle, shouldVirtualize } from './ui/virtualization';
