/** What was wrong with the demo link the app was opened with; rendered as text, nothing from the link is markup. */
export function SharedDemoError({ problems }: { problems: readonly string[] }) {
  return (
    <div data-testid="share-error" role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm">
      <p className="font-medium">This demo link could not be opened, so nothing from it was applied:</p>
      <ul className="list-disc pl-5">
        {problems.map((problem, index) => (
          <li key={index}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}
