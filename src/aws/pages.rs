//! Listings in pages: every page of a list call, each page counted as the call it is. AWS
//! pages every listing slsr makes, and a read that stops at the first page plans creates
//! for what it missed.

use aws_smithy_async::future::pagination_stream::PaginationStream;

use super::AwsError;
use super::read::Calls;

/// Every page a paginator (`into_paginator().send()`) yields, each counted as a call of
/// `operation` (`Service.Operation`).
pub async fn all<T, E>(
    calls: &Calls,
    operation: &'static str,
    mut pages: PaginationStream<Result<T, E>>,
) -> Result<Vec<T>, E> {
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        calls.count(operation);
        all.push(page?);
    }
    Ok(all)
}

/// Every item of a listing the SDK has no paginator for: `call` sends one request with the
/// token the page before gave (none at first) and returns the page's items and its token.
/// Each page is counted as a call of `operation` (`Service.Operation`). A token given twice
/// in a row fails the listing of `target`, rather than looping or stopping short.
pub async fn follow<T, F, Fut>(
    calls: &Calls,
    operation: &'static str,
    target: &str,
    mut call: F,
) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        calls.count(operation);
        let (items, next) = call(token.clone()).await?;
        all.extend(items);
        match next {
            None => return Ok(all),
            Some(next) if Some(&next) == token.as_ref() => {
                return Err(AwsError {
                    operation: operation.split_once('.').map_or(operation, |(_, op)| op),
                    target: target.to_string(),
                    message: format!("the same page token came back twice: {next}"),
                });
            }
            next => token = next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing that answers the scripted pages in turn, recording the tokens it was sent.
    async fn walk(
        pages: Vec<(Vec<u32>, Option<&'static str>)>,
    ) -> (Result<Vec<u32>, AwsError>, Vec<Option<String>>, usize) {
        let calls = Calls::default();
        let sent = std::sync::Mutex::new(Vec::new());
        let mut pages = pages.into_iter();
        let result = follow(&calls, "ApiGatewayV2.GetRoutes", "api a1", |token| {
            sent.lock().unwrap().push(token);
            let (items, next) = pages.next().expect("no call after the last page");
            async move { Ok((items, next.map(str::to_string))) }
        })
        .await;
        (result, sent.into_inner().unwrap(), calls.total())
    }

    #[tokio::test]
    async fn follows_each_token_to_the_last_page_counting_each_page() {
        let (result, sent, counted) = walk(vec![
            (vec![1, 2], Some("after-2")),
            (vec![3], Some("after-3")),
            (vec![], None),
        ])
        .await;
        assert_eq!(result.unwrap(), [1, 2, 3]);
        assert_eq!(sent, [None, Some("after-2".into()), Some("after-3".into())]);
        assert_eq!(counted, 3);
    }

    #[tokio::test]
    async fn a_token_that_comes_back_twice_fails_the_listing() {
        let (result, _, counted) =
            walk(vec![(vec![1], Some("same")), (vec![1], Some("same"))]).await;
        let err = result.unwrap_err();
        assert_eq!(
            (err.operation, err.target.as_str()),
            ("GetRoutes", "api a1")
        );
        assert!(err.message.contains("same page token"), "{}", err.message);
        assert_eq!(counted, 2);
    }
}
