"""What every domain uses: types, models of the organisation, auth, permissions, audit, jobs."""
